// Keeping less of a message once only its identity matters. A transaction that lingers to
// absorb retransmissions (Timers J, L, M: 32 s over UDP) needs its key and its last response,
// not the parsed request, yet at 1,000 calls/s tens of thousands of them linger. Strings sliced
// from a datagram keep the whole datagram alive in V8, so the few kept are copied.
import type { SipRequest } from './message.js';

function copy(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'latin1').toString('latin1');
}

export function slimRequest(req: SipRequest): SipRequest {
  const { core } = req;
  return {
    kind: 'request',
    method: req.method,
    uri: '',
    headers: [],
    body: '',
    raw: '',
    core: {
      callId: copy(core.callId) as string,
      cseq: { seq: core.cseq.seq, method: req.method },
      fromTag: copy(core.fromTag),
      toTag: copy(core.toTag),
      vias: [],
      maxForwards: core.maxForwards,
    },
  };
}
