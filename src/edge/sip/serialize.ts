// Writing SIP messages. Header order follows what drachtio-server (sofia-sip) puts on the wire,
// as recorded in the transcripts: the routing headers first, then From, To, Call-ID, CSeq and
// Contact, then the other headers sofia knows, Content-Type and Content-Length, and headers it
// does not know (X-..., P-... extensions) after Content-Length.
import { canonicalName, headerKey, isKnownHeader } from './headers.js';
import type { SipRequest } from './message.js';

export interface OutHeader {
  readonly name: string;
  readonly value: string;
}

export interface MessageParts {
  /** Via, Max-Forwards, Route / Record-Route, From, To, Call-ID, CSeq, Contact: already ordered. */
  readonly leading: readonly OutHeader[];
  /** Everything else the sender supplied, in the sender's order. */
  readonly extra: readonly OutHeader[];
  readonly contentType: string | undefined;
  readonly body: string;
}

function serialize(startLine: string, parts: MessageParts): string {
  let out = startLine + '\r\n';
  for (const h of parts.leading) out += `${h.name}: ${h.value}\r\n`;
  let unknown = '';
  for (const h of parts.extra) {
    const key = headerKey(h.name);
    const line = `${canonicalName(h.name)}: ${h.value}\r\n`;
    if (isKnownHeader(key)) out += line;
    else unknown += line;
  }
  if (parts.contentType !== undefined) out += `Content-Type: ${parts.contentType}\r\n`;
  out += `Content-Length: ${parts.body.length}\r\n`;
  return out + unknown + '\r\n' + parts.body;
}

export function serializeRequest(method: string, uri: string, parts: MessageParts): string {
  return serialize(`${method} ${uri} SIP/2.0`, parts);
}

export function serializeResponse(status: number, reason: string, parts: MessageParts): string {
  return serialize(`SIP/2.0 ${status} ${reason}`, parts);
}

/** RFC 3261 section 21: the reason phrases the edge uses for responses it makes up itself. */
export const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  416: 'Unsupported URI Scheme',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  487: 'Request Terminated',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
};

/**
 * The headers a response copies from its request (RFC 3261 section 8.2.6.2): every Via (the top
 * one as stamped with received/rport), From, To (with the UAS tag), Call-ID and CSeq.
 */
export function responseLeading(
  request: SipRequest,
  topVia: string,
  toTag: string | undefined,
  recordRoute: readonly string[] = [],
): OutHeader[] {
  const out: OutHeader[] = [{ name: 'Via', value: topVia }];
  const vias = request.core.vias;
  for (let i = 1; i < vias.length; i++) out.push({ name: 'Via', value: (vias[i] as { text: string }).text });
  for (const rr of recordRoute) out.push({ name: 'Record-Route', value: rr });
  let from = '';
  let to = '';
  for (const h of request.headers) {
    if (h.key === 'from') from = h.value;
    else if (h.key === 'to') to = h.value;
  }
  out.push({ name: 'From', value: from });
  out.push({
    name: 'To',
    value: toTag !== undefined && request.core.toTag === undefined ? `${to};tag=${toTag}` : to,
  });
  out.push({ name: 'Call-ID', value: request.core.callId });
  out.push({ name: 'CSeq', value: `${request.core.cseq.seq} ${request.core.cseq.method}` });
  return out;
}
