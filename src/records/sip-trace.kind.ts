// SIP traces for diagnostics: the SIP messages of both legs of a call (bodies only when they are
// SDP), kept with their own expiry (retention.sipTraceDays) in the customer's region.
import type { RecordKind } from './record-kind.js';

export interface TraceMessage {
  /** ISO time the message was sent or received. */
  at: string;
  /** A: the caller's leg; B: the callee's leg. */
  leg: 'A' | 'B';
  direction: 'in' | 'out';
  /** Which B-leg attempt (1-based); absent on the A leg. */
  attempt?: number;
  /** Request line or status line. */
  line: string;
  /** The message's headers as seen on the wire (or the ones we set, for messages we built). */
  headers: [string, string][];
  /** The body when it is SDP; other bodies are never kept. */
  sdp?: string;
}

export interface SipTrace {
  callId: string;
  customerId: string;
  createdAt: Date;
  expiresAt: Date;
  messages: TraceMessage[];
}

export const SIP_TRACE: RecordKind<SipTrace> = {
  name: 'sip_trace',
  table: 'sip_traces',
  columns: [
    { name: 'call_id', type: 'uuid', value: (r) => r.callId },
    { name: 'customer_id', type: 'uuid', value: (r) => r.customerId },
    { name: 'created_at', type: 'timestamptz', value: (r) => r.createdAt },
    { name: 'expires_at', type: 'timestamptz', value: (r) => r.expiresAt },
    { name: 'messages', type: 'jsonb', value: (r) => r.messages },
  ],
  conflictKey: ['call_id'],
  customerId: (r) => r.customerId,
  id: (r) => r.callId,
};
