// Parses one SIP message from a latin1 string (RFC 3261 section 7). Framing is the caller's:
// a UDP datagram is handed over whole (section 18.3: octets past Content-Length are ignored,
// and a missing Content-Length means "to the end of the datagram"); a stream transport hands
// over exactly one message cut by the stream framer. Failures carry the status the sender
// should get (400, 505) and whatever headers were read, so that a request can still be answered.
import { headerKey } from './headers.js';
import type { Header, MessageCore, SipMessage } from './message.js';
import { classifyRequestUri, parseSipUri } from './uri.js';
import { extractCore } from './validate.js';

export interface ParseFailure {
  readonly ok: false;
  readonly reason: string;
  /** 400 or 505 for requests; responses with errors are dropped, so their status is 0. */
  readonly status: number;
  readonly isRequest: boolean;
  readonly headers: readonly Header[];
}

export interface ParseSuccess {
  readonly ok: true;
  readonly message: SipMessage;
  /** Offsets of the first Via header line in `raw`, so it can be rewritten in place. */
  readonly topViaSpan: readonly [number, number] | undefined;
}

export type ParseResult = ParseSuccess | ParseFailure;

export interface ParseOptions {
  /** Over a stream, Content-Length is mandatory and must match the body exactly. */
  readonly stream: boolean;
  readonly maxHeaders: number;
}

function fail(reason: string, isRequest: boolean, headers: readonly Header[], status = 400): ParseFailure {
  return { ok: false, reason, status: isRequest ? status : 0, isRequest, headers };
}

interface StartLine {
  kind: 'request' | 'response';
  method: string;
  uri: string;
  status: number;
  reason: string;
}

const VERSION = 'SIP/2.0';

/** RFC 3261 section 7.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF, single spaces only. */
function parseStartLine(line: string): StartLine | string {
  if (line.startsWith('SIP/')) {
    const sp1 = line.indexOf(' ');
    if (sp1 < 0 || line.slice(0, sp1) !== VERSION) return 'unsupported SIP version in status line';
    const code = line.slice(sp1 + 1, sp1 + 4);
    if (!/^[1-6][0-9][0-9]$/.test(code)) return 'status code out of range';
    if (line.length > sp1 + 4 && line.charCodeAt(sp1 + 4) !== 32) return 'status code out of range';
    return { kind: 'response', method: '', uri: '', status: Number(code), reason: line.slice(sp1 + 5) };
  }
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0) return 'malformed request line';
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (uri.length === 0 || /[\s]/.test(uri) || /[\s]/.test(version) || version.length === 0)
    return 'malformed request line';
  if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(method)) return 'malformed request method';
  if (version !== VERSION)
    return /^SIP\/\d+\.\d+$/.test(version) ? 'unsupported SIP version' : 'malformed request line';
  return { kind: 'request', method, uri, status: 0, reason: '' };
}

export function parseMessage(text: string, options: ParseOptions): ParseResult {
  let start = 0;
  // RFC 3261 section 7.5: CRLFs before the start-line are ignored.
  while (text.charCodeAt(start) === 13 && text.charCodeAt(start + 1) === 10) start += 2;
  const looksLikeRequest = !text.startsWith('SIP/', start);
  let headEnd = text.indexOf('\r\n\r\n', start);
  const firstEnd = text.indexOf('\r\n', start);
  // A datagram that ends right after a header line has no body: its end stands in for the
  // empty line (RFC 4475 3.1.2.15 is such a datagram, and it should get a 400 for its From).
  if (headEnd < 0 && !options.stream && firstEnd > 0 && text.endsWith('\r\n')) headEnd = text.length - 2;
  if (firstEnd < 0 || headEnd < 0) return fail('no empty line after the header fields', looksLikeRequest, []);

  const headers: Header[] = [];
  let topViaSpan: [number, number] | undefined;
  let pos = firstEnd + 2;
  let lastStart = -1;
  while (pos < headEnd + 2) {
    const next = text.indexOf('\r\n', pos);
    const line = text.slice(pos, next);
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) {
      // Folded continuation (RFC 3261 section 7.3.1): joined to the previous value with one space.
      const prev = headers.pop();
      if (!prev) return fail('continuation line before any header field', looksLikeRequest, headers);
      headers.push({ name: prev.name, key: prev.key, value: `${prev.value} ${line.trim()}`.trim() });
      if (topViaSpan && topViaSpan[0] === lastStart - start) topViaSpan[1] = next - start;
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) return fail('header line without a colon', looksLikeRequest, headers);
      const name = line.slice(0, colon).trimEnd();
      if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(name))
        return fail('invalid header field name', looksLikeRequest, headers);
      const key = headerKey(name);
      headers.push({ name, key, value: line.slice(colon + 1).trim() });
      if (headers.length > options.maxHeaders)
        return fail('too many header fields', looksLikeRequest, headers);
      lastStart = pos;
      if (key === 'via' && !topViaSpan) topViaSpan = [pos - start, next - start];
    }
    pos = next + 2;
  }

  const startLine = parseStartLine(text.slice(start, firstEnd));
  if (typeof startLine === 'string') {
    const status = startLine === 'unsupported SIP version' ? 505 : 400;
    return fail(startLine, looksLikeRequest, headers, status);
  }
  const isRequest = startLine.kind === 'request';
  if (isRequest) {
    // RFC 4475 3.1.2.7 and 3.1.2.11: a bracketed Request-URI, or one carrying headers, is rejected.
    const uriClass = classifyRequestUri(startLine.uri);
    if (uriClass === 'invalid') return fail('malformed Request-URI', true, headers);
    if (uriClass === 'sip' && parseSipUri(startLine.uri)?.headers !== undefined)
      return fail('Request-URI with escaped headers', true, headers);
  }

  const core = extractCore(headers);
  if (typeof core === 'string') return fail(core, isRequest, headers);

  const bodyStart = Math.min(headEnd + 4, text.length);
  const available = text.length - bodyStart;
  const clHeader = contentLength(headers);
  if (clHeader === 'invalid') return fail('invalid Content-Length', isRequest, headers);
  let bodyLength: number;
  if (clHeader === undefined) {
    if (options.stream) return fail('missing Content-Length on a stream transport', isRequest, headers);
    bodyLength = available;
  } else {
    if (clHeader > available) return fail('Content-Length larger than the message', isRequest, headers);
    if (options.stream && clHeader !== available)
      return fail('Content-Length does not match the body', isRequest, headers);
    bodyLength = clHeader;
  }
  const body = text.slice(bodyStart, bodyStart + bodyLength);
  const raw =
    start === 0 && bodyStart + bodyLength === text.length ? text : text.slice(start, bodyStart + bodyLength);
  const message: SipMessage = isRequest
    ? {
        kind: 'request',
        method: startLine.method,
        uri: startLine.uri,
        headers,
        body,
        raw,
        core: core as MessageCore,
      }
    : {
        kind: 'response',
        status: startLine.status,
        reason: startLine.reason,
        headers,
        body,
        raw,
        core: core as MessageCore,
      };
  return { ok: true, message, topViaSpan };
}

function contentLength(headers: readonly Header[]): number | undefined | 'invalid' {
  let found: number | undefined;
  for (const h of headers) {
    if (h.key !== 'content-length') continue;
    if (found !== undefined) return 'invalid';
    if (!/^[0-9]{1,9}$/.test(h.value)) return 'invalid';
    found = Number(h.value);
  }
  return found;
}
