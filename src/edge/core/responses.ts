// Responses the edge writes itself: to requests it rejects or answers on its own (100, 481,
// 487, 503...), and stateless answers to requests too broken for a transaction (RFC 3261
// section 8.2.6: a 400 copies Via, From, To, Call-ID and CSeq as best it can).
import type { Header, SipRequest } from '../sip/message.js';
import { REASONS, responseLeading, serializeResponse, type OutHeader } from '../sip/serialize.js';
import type { Remote } from '../transport/types.js';
import type { Core } from './context.js';

export function edgeResponse(
  request: SipRequest,
  topVia: string,
  toTag: string | undefined,
  status: number,
  extra: readonly OutHeader[] = [],
): string {
  // RFC 3261 section 8.2.6.2: a 100 Trying carries no To tag.
  const tag = status === 100 ? undefined : toTag;
  return serializeResponse(status, REASONS[status] ?? 'Unknown', {
    leading: responseLeading(request, topVia, tag),
    extra,
    contentType: undefined,
    body: '',
  });
}

/**
 * Answers a request that could not be parsed, from whatever header lines were read. Nothing is
 * sent without a Via, and ACKs are never answered.
 */
export function rejectStatelessly(
  core: Core,
  remote: Remote,
  headers: readonly Header[],
  status: number,
  reason: string,
  toTag: string,
): boolean {
  const vias = headers.filter((h) => h.key === 'via');
  if (vias.length === 0) return false;
  const pick = (key: string): string | undefined => headers.find((h) => h.key === key)?.value;
  const cseq = pick('cseq');
  if (cseq && /\bACK$/i.test(cseq.trim())) return false;
  const leading: OutHeader[] = vias.map((h) => ({ name: 'Via', value: h.value }));
  const from = pick('from');
  const to = pick('to');
  const callId = pick('call-id');
  if (from !== undefined) leading.push({ name: 'From', value: from });
  if (to !== undefined)
    leading.push({ name: 'To', value: /;\s*tag\s*=/i.test(to) ? to : `${to};tag=${toTag}` });
  if (callId !== undefined) leading.push({ name: 'Call-ID', value: callId });
  if (cseq !== undefined) leading.push({ name: 'CSeq', value: cseq });
  const host = core.transports.advertisedHost;
  const text = serializeResponse(status, REASONS[status] ?? 'Bad Request', {
    leading,
    extra: [{ name: 'Warning', value: `399 ${host} "${reason.replace(/"/g, "'")}"` }],
    contentType: undefined,
    body: '',
  });
  core.transports.send(remote, text);
  return true;
}

/** Header lines read without validation, for answering a message the parser refused. */
export function lenientHeaders(text: string): Header[] {
  const end = text.indexOf('\r\n\r\n');
  const lines = (end < 0 ? text : text.slice(0, end)).split('\r\n').slice(1);
  const out: Header[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const lower = name.toLowerCase();
    const key =
      lower === 'v'
        ? 'via'
        : lower === 'f'
          ? 'from'
          : lower === 't'
            ? 'to'
            : lower === 'i'
              ? 'call-id'
              : lower;
    out.push({ name, key, value: line.slice(colon + 1).trim() });
  }
  return out;
}
