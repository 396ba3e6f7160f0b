// The header checks every message must pass before the transaction layer sees it (RFC 3261
// section 8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via; section 7.3.1 for fields that
// may appear once). Returns the extracted core, or the reason for rejecting the message.
import { parseAddress, parseAddressList } from './address.js';
import { isToken, parseBoundedInt } from './grammar.js';
import { SINGLE_VALUED } from './headers.js';
import type { CSeq, Header, MessageCore, Via } from './message.js';
import { parseViaList } from './via.js';

const MAX_CSEQ = 2 ** 31 - 1 + 2 ** 31;

function parseCSeq(value: string): CSeq | undefined {
  const m = /^([0-9]+)[ \t]+([^ \t]+)$/.exec(value);
  if (!m) return undefined;
  const seq = parseBoundedInt(m[1] as string, MAX_CSEQ);
  const method = m[2] as string;
  if (seq === undefined || !isToken(method)) return undefined;
  return { seq, method };
}

/** callid = word [ "@" word ]: printable characters without whitespace. */
function validCallId(value: string): boolean {
  if (value.length === 0 || value.length > 512) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 32 || c >= 127) return false;
  }
  return true;
}

export function extractCore(headers: readonly Header[]): MessageCore | string {
  let callId: string | undefined;
  let cseq: CSeq | undefined;
  let from: string | undefined;
  let to: string | undefined;
  let maxForwards: number | undefined;
  const vias: Via[] = [];
  const counts = new Map<string, number>();

  for (const h of headers) {
    if (SINGLE_VALUED.has(h.key)) {
      const n = (counts.get(h.key) ?? 0) + 1;
      counts.set(h.key, n);
      if (n > 1) return `more than one ${h.key} header field`;
    }
    switch (h.key) {
      case 'call-id':
        if (!validCallId(h.value)) return 'invalid Call-ID';
        callId = h.value;
        break;
      case 'cseq':
        cseq = parseCSeq(h.value);
        if (!cseq) return 'invalid CSeq';
        break;
      case 'from':
        from = h.value;
        break;
      case 'to':
        to = h.value;
        break;
      case 'max-forwards':
        maxForwards = parseBoundedInt(h.value, 255);
        if (maxForwards === undefined) return 'invalid Max-Forwards';
        break;
      case 'via': {
        const list = parseViaList(h.value);
        if (!list) return 'invalid Via';
        for (const v of list) vias.push(v);
        break;
      }
      case 'contact':
        if (h.value !== '*' && !parseAddressList(h.value)) return 'invalid Contact';
        break;
      case 'route':
      case 'record-route':
        if (!parseAddressList(h.value)) return `invalid ${h.key === 'route' ? 'Route' : 'Record-Route'}`;
        break;
    }
  }
  if (callId === undefined) return 'missing Call-ID';
  if (cseq === undefined) return 'missing CSeq';
  if (from === undefined) return 'missing From';
  if (to === undefined) return 'missing To';
  if (vias.length === 0) return 'missing Via';
  const fromAddr = parseAddress(from);
  if (!fromAddr) return 'invalid From';
  const toAddr = parseAddress(to);
  if (!toAddr) return 'invalid To';
  // Max-Forwards is mandatory in RFC 3261 but absent from RFC 2543 requests, which RFC 4475
  // 3.4.1 says to accept: the caller treats a missing value as the default of 70.
  return {
    callId,
    cseq,
    fromTag: fromAddr.params.get('tag'),
    toTag: toAddr.params.get('tag'),
    vias,
    maxForwards,
  };
}
