// Transaction matching keys.
import { isRfc3261Branch, type SipRequest } from '../sip/message.js';

/**
 * RFC 3261 section 17.2.3: a request matches a server transaction by the top Via's branch and
 * sent-by and by its method, ACK matching the INVITE. Like sofia-sip, the edge also requires the
 * same Call-ID, so a peer that reuses branches (the RFC 4475 messages do) is not mistaken for
 * retransmitting. Requests whose branch lacks the magic cookie (RFC 2543 peers, RFC 4475 3.2.1
 * and 3.4.1) fall back to Call-ID, CSeq, From tag and the top Via.
 */
export function serverKey(request: SipRequest, methodOverride?: string): string {
  const top = request.core.vias[0];
  const method = methodOverride ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  if (!top) return `none|${request.core.callId}|${method}`;
  const sentBy = `${top.host.toLowerCase()}:${top.port ?? ''}`;
  if (isRfc3261Branch(top.branch)) return `${top.branch}|${sentBy}|${method}|${request.core.callId}`;
  const { core } = request;
  return `2543|${core.callId}|${core.cseq.seq}|${method}|${core.fromTag ?? ''}|${sentBy}|${top.branch ?? ''}`;
}

/** RFC 3261 section 17.1.3: a response matches a client transaction by branch and CSeq method. */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}
