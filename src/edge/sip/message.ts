// The edge's model of a SIP message. Strings hold bytes, not text: every message is decoded as
// latin1 so that one character is one octet, Content-Length counts characters, and UTF-8 in
// display names or bodies passes through untouched when the string is encoded back as latin1.

export interface Header {
  /** The name as written by the sender. */
  readonly name: string;
  /** Lower-case full name (compact forms expanded), for lookups. */
  readonly key: string;
  /** The value with folding replaced by single spaces and surrounding whitespace trimmed. */
  readonly value: string;
}

export interface Via {
  readonly protocol: string;
  /** Upper-case transport token from the sent-protocol (UDP, TCP, TLS, ...). */
  readonly transport: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly branch: string | undefined;
  /** The via-parm exactly as it appeared (one value of a possibly comma-separated header). */
  readonly text: string;
  readonly params: ReadonlyMap<string, string | undefined>;
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** What the parser extracts and validates from every message it accepts. */
export interface MessageCore {
  readonly callId: string;
  readonly cseq: CSeq;
  readonly fromTag: string | undefined;
  readonly toTag: string | undefined;
  readonly vias: readonly Via[];
  readonly maxForwards: number | undefined;
}

/** Where a received message came from; set by the core after parsing. */
export interface Origin {
  readonly transport: string;
  readonly address: string;
  readonly port: number;
}

interface MessageBase {
  origin?: Origin;
  readonly headers: readonly Header[];
  readonly body: string;
  /** The message as received (trailing datagram noise excluded), for passing on unchanged. */
  readonly raw: string;
  readonly core: MessageCore;
}

export interface SipRequest extends MessageBase {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
}

export interface SipResponse extends MessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

export function getHeader(msg: { headers: readonly Header[] }, key: string): string | undefined {
  for (const h of msg.headers) if (h.key === key) return h.value;
  return undefined;
}

export function getHeaders(msg: { headers: readonly Header[] }, key: string): string[] {
  const out: string[] = [];
  for (const h of msg.headers) if (h.key === key) out.push(h.value);
  return out;
}

/** RFC 3261 section 17.2.3: a branch starting with the magic cookie identifies an RFC 3261 transaction. */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > 7 && branch.startsWith('z9hG4bK');
}
