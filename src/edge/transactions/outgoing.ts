// A request the edge sends, with the fields its client transaction needs to build an ACK or a
// CANCEL for it.
import { getHeader, type SipResponse } from '../sip/message.js';
import { serializeRequest, type OutHeader } from '../sip/serialize.js';

export interface OutgoingRequest {
  readonly method: string;
  readonly uri: string;
  /** The top Via value, branch included. */
  readonly via: string;
  readonly branch: string;
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  readonly routes: readonly string[];
  /** The whole request as written on the wire. */
  readonly text: string;
}

function leading(req: OutgoingRequest, to: string, method: string): OutHeader[] {
  const out: OutHeader[] = [
    { name: 'Via', value: req.via },
    { name: 'Max-Forwards', value: '70' },
  ];
  for (const r of req.routes) out.push({ name: 'Route', value: r });
  out.push({ name: 'From', value: req.from });
  out.push({ name: 'To', value: to });
  out.push({ name: 'Call-ID', value: req.callId });
  out.push({ name: 'CSeq', value: `${req.cseq} ${method}` });
  return out;
}

/**
 * RFC 3261 section 17.1.1.3: the ACK for a non-2xx final response has the INVITE's Request-URI,
 * Call-ID, From, CSeq number, top Via and Route, and the To of the response.
 */
export function ackForFailure(invite: OutgoingRequest, response: SipResponse): string {
  const to = getHeader(response, 'to') ?? invite.to;
  return serializeRequest('ACK', invite.uri, {
    leading: leading(invite, to, 'ACK'),
    extra: [],
    contentType: undefined,
    body: '',
  });
}

/**
 * RFC 3261 section 9.1: a CANCEL has the INVITE's Request-URI, Call-ID, To, From, CSeq number,
 * a single Via equal to the INVITE's top Via, and the same Route headers.
 */
export function cancelFor(invite: OutgoingRequest, extra: readonly OutHeader[] = []): OutgoingRequest {
  const text = serializeRequest('CANCEL', invite.uri, {
    leading: leading(invite, invite.to, 'CANCEL'),
    extra,
    contentType: undefined,
    body: '',
  });
  return { ...invite, method: 'CANCEL', text };
}
