// Header names: compact forms (RFC 3261 section 7.3.3 and later RFCs), the canonical spelling
// sofia-sip writes for the headers it knows, and which of them the edge treats as its own.

/** RFC 3261 section 7.3.3 and the registry of compact forms. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  u: 'allow-events',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
  n: 'identity-info',
};

const CANONICAL_LIST = [
  'Via',
  'Max-Forwards',
  'Route',
  'Record-Route',
  'From',
  'To',
  'Call-ID',
  'CSeq',
  'Contact',
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-Info',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Type',
  'Content-Length',
  'Date',
  'Error-Info',
  'Event',
  'Expires',
  'History-Info',
  'Identity',
  'Identity-Info',
  'In-Reply-To',
  'MIME-Version',
  'Min-Expires',
  'Min-SE',
  'Organization',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Path',
  'Priority',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'RSeq',
  'Reason',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Replaces',
  'Reply-To',
  'Request-Disposition',
  'Require',
  'Retry-After',
  'Security-Client',
  'Security-Server',
  'Security-Verify',
  'Server',
  'Service-Route',
  'Session-Expires',
  'SIP-ETag',
  'SIP-If-Match',
  'Subject',
  'Subscription-State',
  'Supported',
  'Timestamp',
  'Unsupported',
  'User-Agent',
  'Warning',
  'WWW-Authenticate',
];

const CANONICAL = new Map(CANONICAL_LIST.map((name) => [name.toLowerCase(), name]));

/** Lower-case full name of a header name as written on the wire (compact forms expanded). */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return name.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

/** The spelling sofia-sip writes for a known header; unknown headers keep the sender's spelling. */
export function canonicalName(name: string): string {
  return CANONICAL.get(headerKey(name)) ?? name;
}

/** Headers sofia-sip knows: they go before Content-Length, unknown ones after it (see the transcripts). */
export function isKnownHeader(key: string): boolean {
  return CANONICAL.has(key);
}

/** RFC 3261 section 7.3.1: these appear once; more than one is a malformed message (RFC 4475 3.3.8, 3.3.9). */
export const SINGLE_VALUED = new Set([
  'call-id',
  'cseq',
  'from',
  'to',
  'max-forwards',
  'content-length',
  'content-type',
]);
