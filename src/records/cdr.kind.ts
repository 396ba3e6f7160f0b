// The call detail record: one per call, with every attempt and the route used.
import type { RecordKind } from './record-kind.js';

export type CallDirection = 'inbound' | 'outbound';
export type CallDisposition = 'answered' | 'busy' | 'no_answer' | 'rejected' | 'failed' | 'cancelled';

export interface CallAttempt {
  carrier?: string;
  gateway?: string;
  target: string;
  startedAt: string;
  provisionalAt?: string;
  answeredAt?: string;
  endedAt?: string;
  status?: number;
  reason?: string;
  /** Why the next attempt was made (or the call ended): 'status', 'no-provisional', 'no-answer', 'cancelled'... */
  outcome?: string;
  earlyMedia?: boolean;
}

export interface CdrRecording {
  status: 'recorded' | 'unrecorded' | 'failed' | 'off';
  reason?: string;
  recordingId?: string;
}

export interface Cdr {
  id: string;
  customerId: string;
  startedAt: Date;
  direction: CallDirection;
  calling: string | null;
  called: string | null;
  answeredAt?: Date | null;
  endedAt?: Date | null;
  durationMs?: number | null;
  pddMs?: number | null;
  disposition: CallDisposition;
  finalStatus?: number | null;
  hangupBy?: 'caller' | 'callee' | 'system' | null;
  sbc?: string | null;
  sipCallId?: string | null;
  route?: Record<string, unknown> | null;
  attempts: CallAttempt[];
  recording?: CdrRecording | null;
  /** Carrier of the answered (else the last) attempt, outbound and forwarded calls. */
  carrier?: string | null;
  /** Region of the SBC the call came through (may differ from the customer's region). */
  sbcRegion?: string | null;
  /** Why the call ended: a SIP reason, 'caller-bye', 'callee-bye', 'cancelled', a guard's reason... */
  endReason?: string | null;
}

export const CDR: RecordKind<Cdr> = {
  name: 'cdr',
  table: 'cdrs',
  columns: [
    { name: 'id', type: 'uuid', value: (r) => r.id },
    { name: 'customer_id', type: 'uuid', value: (r) => r.customerId },
    { name: 'started_at', type: 'timestamptz', value: (r) => r.startedAt },
    { name: 'direction', type: 'text', value: (r) => r.direction },
    { name: 'calling', type: 'text', value: (r) => r.calling },
    { name: 'called', type: 'text', value: (r) => r.called },
    { name: 'answered_at', type: 'timestamptz', value: (r) => r.answeredAt },
    { name: 'ended_at', type: 'timestamptz', value: (r) => r.endedAt },
    { name: 'duration_ms', type: 'integer', value: (r) => r.durationMs },
    { name: 'pdd_ms', type: 'integer', value: (r) => r.pddMs },
    { name: 'disposition', type: 'text', value: (r) => r.disposition },
    { name: 'final_status', type: 'integer', value: (r) => r.finalStatus },
    { name: 'hangup_by', type: 'text', value: (r) => r.hangupBy },
    { name: 'sbc', type: 'text', value: (r) => r.sbc },
    { name: 'sip_call_id', type: 'text', value: (r) => r.sipCallId },
    { name: 'route', type: 'jsonb', value: (r) => r.route },
    { name: 'attempts', type: 'jsonb', value: (r) => r.attempts },
    { name: 'recording', type: 'jsonb', value: (r) => r.recording },
    { name: 'carrier', type: 'text', value: (r) => r.carrier },
    { name: 'sbc_region', type: 'text', value: (r) => r.sbcRegion },
    { name: 'end_reason', type: 'text', value: (r) => r.endReason },
    { name: 'recording_status', type: 'text', value: (r) => r.recording?.status },
  ],
  conflictKey: ['id', 'started_at'],
  customerId: (r) => r.customerId,
  id: (r) => r.id,
};
