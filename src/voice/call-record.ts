// What one call leaves behind: its CDR (every attempt, timestamps, disposition, who hung up) and its
// SIP trace (both legs, SDP bodies only). Built as the call goes, written once when it ends.
import { randomUUID } from 'node:crypto';
import type { Region } from '../config/index.js';
import type {
  CallAttempt,
  CallDirection,
  CallDisposition,
  Cdr,
  CdrRecording,
  SipTrace,
  TraceMessage,
} from '../records/index.js';
import type { SipMessageLike } from './sbc/srf-types.js';

/** Headers a trace keeps from a message; the rest of a message is left out to bound its size. */
const TRACE_HEADERS = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'reason',
  'diversion',
  'history-info',
  'p-asserted-identity',
  'privacy',
  'user-agent',
  'server',
  'content-type',
]);

export interface AttemptRecord extends CallAttempt {
  readonly index: number;
}

export class CallRecord {
  readonly id = randomUUID();
  readonly startedAt = new Date();
  readonly attempts: AttemptRecord[] = [];
  readonly trace: TraceMessage[] = [];
  customerId: string | undefined;
  region: Region | undefined;
  calling: string | null = null;
  called: string | null = null;
  firstProvisionalAt: Date | undefined;
  answeredAt: Date | undefined;
  endedAt: Date | undefined;
  finalStatus: number | undefined;
  disposition: CallDisposition | undefined;
  hangupBy: 'caller' | 'callee' | 'system' | undefined;
  endReason: string | undefined;
  route: Record<string, unknown> | undefined;
  /** Inbound: the carrier the call came from (the CDR's carrier when no B leg went to a carrier). */
  originCarrier: string | undefined;
  recording: CdrRecording = { status: 'off' };

  constructor(
    readonly direction: CallDirection,
    readonly sbc: string,
    readonly sbcRegion: Region,
    readonly sipCallId: string,
  ) {}

  addAttempt(a: Omit<CallAttempt, 'startedAt'>): AttemptRecord {
    const rec: AttemptRecord = { ...a, index: this.attempts.length + 1, startedAt: new Date().toISOString() };
    this.attempts.push(rec);
    return rec;
  }

  provisional(): void {
    this.firstProvisionalAt ??= new Date();
  }

  /** A message received from the network (its headers as they came). */
  traceIn(
    leg: 'A' | 'B',
    msg: SipMessageLike & { method?: string; uri?: string; status?: number; reason?: string },
    attempt?: number,
  ): void {
    const line =
      msg.status !== undefined
        ? `SIP/2.0 ${msg.status} ${msg.reason ?? ''}`.trim()
        : `${msg.method} ${msg.uri} SIP/2.0`;
    const headers = parseHeaders(msg.raw);
    this.#push({
      leg,
      direction: 'in',
      line,
      headers,
      attempt,
      body: msg.body,
      contentType: msg.get('content-type'),
    });
  }

  /** A message we sent (or asked the SBC to send): what we know of it. */
  traceOut(
    leg: 'A' | 'B',
    line: string,
    headers: Record<string, string> = {},
    body?: string,
    attempt?: number,
  ): void {
    this.#push({
      leg,
      direction: 'out',
      line,
      headers: Object.entries(headers).filter(([k]) => TRACE_HEADERS.has(k.toLowerCase())),
      attempt,
      body,
      contentType: body ? 'application/sdp' : undefined,
    });
  }

  /** A request we sent, as the SBC echoed it (drachtio-srf's sent request carries the wire text). */
  traceSent(leg: 'A' | 'B', req: SipMessageLike & { method?: string; uri?: string }, attempt?: number): void {
    this.#push({
      leg,
      direction: 'out',
      line: `${req.method} ${req.uri} SIP/2.0`,
      headers: parseHeaders(req.raw),
      attempt,
      body: req.body,
      contentType: req.get('content-type'),
    });
  }

  #push(m: {
    leg: 'A' | 'B';
    direction: 'in' | 'out';
    line: string;
    headers: [string, string][];
    attempt: number | undefined;
    body: string | undefined;
    contentType: string | undefined;
  }): void {
    if (this.trace.length >= 200) return;
    const entry: TraceMessage = {
      at: new Date().toISOString(),
      leg: m.leg,
      direction: m.direction,
      line: m.line,
      headers: m.headers,
    };
    if (m.attempt !== undefined) entry.attempt = m.attempt;
    if (m.body && (m.contentType ?? '').toLowerCase().startsWith('application/sdp')) entry.sdp = m.body;
    this.trace.push(entry);
  }

  end(
    disposition: CallDisposition,
    finalStatus: number | undefined,
    by: CallRecord['hangupBy'],
    reason: string,
  ): void {
    if (this.endedAt) return;
    this.endedAt = new Date();
    this.disposition = disposition;
    this.finalStatus = finalStatus;
    this.hangupBy = by;
    this.endReason = reason;
  }

  get pddMs(): number | null {
    const at = this.firstProvisionalAt ?? this.answeredAt;
    return at ? at.getTime() - this.startedAt.getTime() : null;
  }

  get carrier(): string | null {
    const answered = this.attempts.find((a) => a.answeredAt);
    return (answered ?? this.attempts[this.attempts.length - 1])?.carrier ?? this.originCarrier ?? null;
  }

  toCdr(): Cdr {
    const ended = this.endedAt ?? new Date();
    return {
      id: this.id,
      customerId: this.customerId as string,
      startedAt: this.startedAt,
      direction: this.direction,
      calling: this.calling,
      called: this.called,
      answeredAt: this.answeredAt ?? null,
      endedAt: ended,
      durationMs: this.answeredAt ? ended.getTime() - this.answeredAt.getTime() : 0,
      pddMs: this.pddMs,
      disposition: this.disposition ?? 'failed',
      finalStatus: this.finalStatus ?? null,
      hangupBy: this.hangupBy ?? null,
      sbc: this.sbc,
      sipCallId: this.sipCallId,
      route: this.route ?? null,
      attempts: this.attempts.map(({ index: _index, ...a }) => a),
      recording: this.recording,
      carrier: this.carrier,
      sbcRegion: this.sbcRegion,
      endReason: this.endReason ?? null,
    };
  }

  toTrace(retentionDays: number): SipTrace {
    return {
      callId: this.id,
      customerId: this.customerId as string,
      createdAt: this.startedAt,
      expiresAt: new Date(this.startedAt.getTime() + retentionDays * 86_400_000),
      messages: this.trace,
    };
  }
}

function parseHeaders(raw: string | undefined): [string, string][] {
  if (!raw) return [];
  const out: [string, string][] = [];
  const end = raw.indexOf('\r\n\r\n');
  const head = end >= 0 ? raw.slice(0, end) : raw;
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (TRACE_HEADERS.has(name.toLowerCase())) out.push([name, line.slice(colon + 1).trim()]);
  }
  return out;
}

/** Disposition of a call that was not answered, from the status the caller gets. */
export function dispositionOf(status: number): CallDisposition {
  if (status === 487) return 'cancelled';
  if (status === 486 || status === 600) return 'busy';
  if (status === 408 || status === 480) return 'no_answer';
  if (status >= 500 && status < 600) return 'failed';
  return 'rejected';
}
