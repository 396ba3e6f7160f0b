// The B2BUA of one call: tries the B-leg targets (sequentially with failover, or all at once), relays
// progress to the caller, answers the caller once a callee answers, then bridges the two dialogs
// (BYE from either side ends both, re-INVITEs pass through) until the call ends.
//
// Failover rules: the next target is tried after a timeout (no provisional response within the
// target's bound, no final response within its ring timeout), 408, 5xx, or any status not in the
// target's final codes; never after early media reached the caller, after the caller's CANCEL, or
// past the attempt limit. The status the caller gets is the last target's (its Reason included).
import type { Logger } from 'pino';
import type { Gateway } from '../plan/plan.repo.js';
import type { CallRecord, AttemptRecord } from './call-record.js';
import type { AnchoredMedia } from './media-anchor.js';
import type {
  SipError,
  Srf,
  SrfDialog,
  SrfIncomingResponse,
  SrfRequest,
  SrfResponse,
} from './sbc/srf-types.js';

export interface Target {
  /** Request-URI of the B-leg INVITE. */
  uri: string;
  /** Carrier name (outbound or forwarded calls) for the CDR and metrics. */
  carrier?: string;
  /** Gateway host:port. */
  gateway?: string;
  /** The plan's gateway (health accounting of failed attempts). */
  gatewayRef?: Gateway;
  /** The route that chose this target (for the CDR). */
  route?: Record<string, unknown>;
  /** No final answer within this: cancel, next target. */
  timeoutMs: number;
  /** No provisional response within this: next target (100 Trying never reaches apps). */
  provisionalTimeoutMs?: number;
  /** Statuses that end the call instead of failing over; absent: every failure fails over. */
  finalCodes?: readonly number[];
  /** Headers of the B-leg INVITE (after the header policy). */
  headers?: Record<string, string>;
  /** SDP offered to this target (after its SDP policy); default the caller's (or the anchor's). */
  offer?: (sdp: string) => string;
  /** Transforms the target's answer before it reaches the caller (SDP policy of the A side). */
  answer?: (sdp: string) => string;
  /**
   * Runs before the INVITE (e.g. the carrier's concurrency and CPS limits); a refusal skips the
   * target with its status. `release` runs when the call ends.
   */
  prepare?(): Promise<
    { ok: true; release?: () => Promise<void> } | { ok: false; status: number; reason: string }
  >;
}

export interface AttemptResult {
  dialog?: SrfDialog;
  status: number;
  reason?: string;
  reasonHeader?: string;
  /** Why it failed: 'status', 'no-provisional', 'no-answer', 'cancelled', 'superseded', 'error'. */
  outcome: string;
  target: Target;
  attempt: AttemptRecord;
}

export interface BridgeDeps {
  srf: Srf;
  req: SrfRequest;
  res: SrfResponse;
  record: CallRecord;
  log: Logger;
  media?: AnchoredMedia;
  maxAttempts: number;
  /** Called for each attempt that ends (metrics). */
  onAttempt?(result: AttemptResult): void;
  /** Called for each failover (metrics). */
  onFailover?(from: Target, outcome: string): void;
}

export interface Bridged {
  uas: SrfDialog;
  uac: SrfDialog;
  target: Target;
  /** Resolves when the call has ended on both legs. */
  ended: Promise<void>;
  hangup(reason: string): Promise<void>;
}

export type BridgeOutcome =
  | { answered: true; call: Bridged }
  | { answered: false; status: number; reason?: string; reasonHeader?: string; cancelled: boolean };

interface Pending {
  cancel(): void;
  promise: Promise<AttemptResult>;
}

export class Bridge {
  #cancelled = false;
  #earlyMedia = false;
  #answeredA = false;
  readonly #pending = new Set<Pending>();
  readonly #releases: (() => Promise<void>)[] = [];

  constructor(private readonly d: BridgeDeps) {
    d.req.on('cancel', () => {
      this.#cancelled = true;
      d.record.traceOut('A', 'SIP/2.0 487 Request Terminated');
      for (const p of this.#pending) p.cancel();
    });
  }

  get cancelled(): boolean {
    return this.#cancelled || this.d.req.canceled === true;
  }

  /** Tries the targets in order (or all at once) and connects the caller to the first that answers. */
  async connect(targets: Target[], strategy: 'sequential' | 'simultaneous'): Promise<BridgeOutcome> {
    const list = targets.slice(0, this.d.maxAttempts);
    let last: AttemptResult | undefined;
    if (strategy === 'simultaneous' && list.length > 1) {
      last = await this.#all(list);
    } else {
      for (let i = 0; i < list.length; i++) {
        const target = list[i] as Target;
        if (this.cancelled) break;
        last = await this.#start(target).promise;
        if (last.dialog) break;
        const stop = this.#stopsHere(last);
        if (stop || i === list.length - 1) {
          last.attempt.outcome = last.outcome;
          break;
        }
        this.d.onFailover?.(target, last.outcome);
      }
    }
    if (last?.dialog) {
      const call = await this.#answer(last);
      if (call) return { answered: true, call };
      return { answered: false, status: 487, cancelled: true };
    }
    if (this.cancelled) return { answered: false, status: 487, cancelled: true };
    return {
      answered: false,
      status: last?.status ?? 480,
      ...(last?.reason ? { reason: last.reason } : {}),
      ...(last?.reasonHeader ? { reasonHeader: last.reasonHeader } : {}),
      cancelled: false,
    };
  }

  #stopsHere(r: AttemptResult): boolean {
    if (this.cancelled) return true;
    if (this.#earlyMedia) return true;
    if (r.outcome !== 'status') return false;
    if (r.status === 408 || (r.status >= 500 && r.status < 600)) return false;
    return (r.target.finalCodes ?? []).includes(r.status);
  }

  async #all(targets: Target[]): Promise<AttemptResult | undefined> {
    const started = targets.map((t) => this.#start(t));
    return new Promise((resolve) => {
      let left = started.length;
      let last: AttemptResult | undefined;
      let won = false;
      for (const p of started) {
        void p.promise.then((r) => {
          left -= 1;
          if (r.dialog) {
            if (won) {
              // A second callee answered after the first: hang it up.
              r.attempt.outcome = 'superseded';
              void r.dialog.destroy().catch(() => undefined);
            } else {
              won = true;
              for (const other of started) if (other !== p) other.cancel();
              resolve(r);
            }
          } else last = r;
          if (left === 0 && !won) resolve(last);
        });
      }
    });
  }

  /** One B-leg INVITE with its own timers; settles once, whatever srf does later. */
  #start(target: Target): Pending {
    const d = this.d;
    const { record } = d;
    const attempt = record.addAttempt({
      target: target.uri,
      ...(target.carrier ? { carrier: target.carrier } : {}),
      ...(target.gateway ? { gateway: target.gateway } : {}),
    });
    let inviteReq: SrfRequest | undefined;
    let settled = false;
    let launched = false;
    let cancelOutcome: string | undefined;
    let resolveFn!: (r: AttemptResult) => void;
    const promise = new Promise<AttemptResult>((resolve) => (resolveFn = resolve));
    const timers: NodeJS.Timeout[] = [];
    const settle = (r: Omit<AttemptResult, 'target' | 'attempt'>): void => {
      if (settled) {
        // Answered after we gave up on it (timeout or cancel raced the 200): hang it up.
        if (r.dialog) void r.dialog.destroy().catch(() => undefined);
        return;
      }
      settled = true;
      for (const t of timers) clearTimeout(t);
      this.#pending.delete(pending);
      attempt.endedAt = new Date().toISOString();
      attempt.status = r.status;
      if (r.reason) attempt.reason = r.reason;
      attempt.outcome = r.outcome;
      const result: AttemptResult = { ...r, target, attempt };
      d.onAttempt?.(result);
      resolveFn(result);
    };
    const giveUp = (outcome: string, status: number): void => {
      if (settled) return;
      cancelOutcome = outcome;
      if (inviteReq) {
        try {
          inviteReq.cancel();
        } catch {
          /* already final */
        }
      }
      settle({ status, outcome });
    };
    const pending: Pending = { cancel: () => giveUp('cancelled', 487), promise };
    this.#pending.add(pending);

    const launch = (): void => {
      if (settled || launched) return;
      launched = true;
      if (target.provisionalTimeoutMs)
        timers.push(setTimeout(() => giveUp('no-provisional', 408), target.provisionalTimeoutMs));
      timers.push(setTimeout(() => giveUp('no-answer', 408), target.timeoutMs));
      this.#invite(target, attempt, {
        settled: () => settled,
        setRequest: (r) => (inviteReq = r),
        provisional: () => {
          // A callee that rings has met the "provisional" bound; only the ring timeout is left.
          if (timers.length > 1) clearTimeout(timers.shift());
        },
        settle,
        cancelOutcome: () => cancelOutcome,
      });
    };
    if (!target.prepare) launch();
    else
      target.prepare().then(
        (p) => {
          if (!p.ok) return settle({ status: p.status, reason: p.reason, outcome: 'limit' });
          if (p.release) this.#releases.push(p.release);
          launch();
        },
        (err: unknown) => {
          d.log.error({ err, target: target.uri }, 'attempt preparation failed');
          settle({ status: 503, outcome: 'error' });
        },
      );
    return pending;
  }

  #invite(
    target: Target,
    attempt: AttemptRecord,
    h: {
      settled(): boolean;
      setRequest(r: SrfRequest): void;
      provisional(): void;
      settle(r: Omit<AttemptResult, 'target' | 'attempt'>): void;
      cancelOutcome(): string | undefined;
    },
  ): void {
    const d = this.d;
    const { record } = d;
    const callerSdp = d.media?.offerSdp ?? d.req.body;
    const offer = target.offer ? target.offer(callerSdp) : callerSdp;
    d.srf
      .createUAC(
        target.uri,
        { localSdp: offer, headers: target.headers ?? {} },
        {
          cbRequest: (err, req) => {
            if (err || !req) return;
            h.setRequest(req);
            record.traceSent('B', req, attempt.index);
            if (h.settled()) {
              try {
                req.cancel();
              } catch {
                /* nothing to cancel */
              }
            }
          },
          cbProvisional: (p: SrfIncomingResponse) => {
            if (h.settled()) return;
            record.traceIn('B', p, attempt.index);
            attempt.provisionalAt ??= new Date().toISOString();
            h.provisional();
            this.#relayProvisional(p, target, attempt);
          },
        },
      )
      .then(
        (dialog) => {
          if (!h.settled()) {
            attempt.answeredAt = new Date().toISOString();
            record.trace.push({
              at: attempt.answeredAt,
              leg: 'B',
              direction: 'in',
              attempt: attempt.index,
              line: 'SIP/2.0 200 OK',
              headers: [],
              ...(dialog.remote.sdp ? { sdp: dialog.remote.sdp } : {}),
            });
          }
          h.settle({ dialog, status: 200, outcome: 'answered' });
        },
        (err: SipError) => {
          const status = typeof err.status === 'number' ? err.status : 503;
          if (err.res) record.traceIn('B', err.res, attempt.index);
          const reasonHeader = err.res?.get('reason');
          h.settle({
            status,
            ...(err.reason || err.res?.reason ? { reason: err.reason ?? err.res?.reason } : {}),
            ...(reasonHeader ? { reasonHeader } : {}),
            outcome: h.cancelOutcome() ?? (typeof err.status === 'number' ? 'status' : 'error'),
          });
          if (typeof err.status !== 'number')
            d.log.warn({ err: err.message, target: target.uri }, 'B-leg INVITE failed');
        },
      );
  }

  #relayProvisional(p: SrfIncomingResponse, target: Target, attempt: AttemptRecord): void {
    const d = this.d;
    if (p.status < 180 || d.res.finalResponseSent || this.cancelled) return;
    d.record.provisional();
    // Early media goes to the caller only without a media anchor (the anchor answers A itself).
    const sdp = p.body && !d.media ? (target.answer ? target.answer(p.body) : p.body) : undefined;
    if (sdp) {
      this.#earlyMedia = true;
      attempt.earlyMedia = true;
      d.res.send(183, { body: sdp, headers: { 'Content-Type': 'application/sdp' } });
      d.record.traceOut('A', 'SIP/2.0 183 Session Progress', {}, sdp);
    } else {
      d.res.send(p.status === 183 ? 183 : 180);
      d.record.traceOut('A', `SIP/2.0 ${p.status === 183 ? '183 Session Progress' : '180 Ringing'}`);
    }
  }

  async #answer(r: AttemptResult): Promise<Bridged | undefined> {
    const d = this.d;
    const uac = r.dialog as SrfDialog;
    const target = r.target;
    let sdp: string;
    try {
      const calleeSdp = target.answer ? target.answer(uac.remote.sdp) : uac.remote.sdp;
      sdp = d.media ? await d.media.connect(calleeSdp) : calleeSdp;
    } catch (err) {
      d.log.error({ err, callId: d.record.id }, 'media anchor failed to connect: call ended');
      await uac.destroy().catch(() => undefined);
      d.record.end('failed', 500, 'system', 'media-connect-failed');
      if (!d.res.finalResponseSent) d.res.send(500);
      return undefined;
    }
    let uas: SrfDialog;
    try {
      uas = await d.srf.createUAS(d.req, d.res, { localSdp: sdp });
    } catch (err) {
      // The caller went away between the callee's answer and ours (CANCEL): hang up the callee.
      d.log.info({ callId: d.record.id, err: (err as Error).message }, 'caller gone before answer');
      await uac.destroy().catch(() => undefined);
      r.attempt.outcome = 'caller-cancelled';
      return undefined;
    }
    this.#answeredA = true;
    d.record.answeredAt = new Date();
    d.record.provisional();
    d.record.traceOut('A', 'SIP/2.0 200 OK', {}, sdp);
    return this.#bridge(uas, uac, target);
  }

  #bridge(uas: SrfDialog, uac: SrfDialog, target: Target): Bridged {
    const d = this.d;
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
    let over = false;
    const finish = (by: 'caller' | 'callee' | 'system', reason: string, other: SrfDialog): void => {
      if (over) return;
      over = true;
      d.record.end('answered', 200, by, reason);
      d.record.trace.push({
        at: new Date().toISOString(),
        leg: by === 'callee' ? 'B' : 'A',
        direction: by === 'system' ? 'out' : 'in',
        line: 'BYE',
        headers: [],
      });
      void other
        .destroy()
        .catch(() => undefined)
        .finally(resolveEnded);
    };
    uas.on('destroy', () => finish('caller', 'caller-bye', uac));
    uac.on('destroy', () => finish('callee', 'callee-bye', uas));
    const passModify = (from: SrfDialog, to: SrfDialog, leg: 'A' | 'B'): void => {
      from.on('modify', (req: SrfRequest, res: SrfResponse) => {
        d.record.traceIn(leg, req);
        if (d.media) {
          // The anchor holds the media: answer with the SDP this side already has.
          res.send(200, { body: from.local.sdp });
          return;
        }
        const offer = leg === 'A' && target.offer ? target.offer(req.body) : req.body;
        to.modify(offer).then(
          (answer) => res.send(200, { body: leg === 'A' && target.answer ? target.answer(answer) : answer }),
          (err: SipError) => res.send(typeof err.status === 'number' ? err.status : 488),
        );
      });
    };
    passModify(uas, uac, 'A');
    passModify(uac, uas, 'B');
    return {
      uas,
      uac,
      target,
      ended,
      hangup: async (reason: string) => {
        if (over) return ended;
        over = true;
        d.record.end('answered', 200, 'system', reason);
        await Promise.all([uas.destroy().catch(() => undefined), uac.destroy().catch(() => undefined)]);
        resolveEnded();
      },
    };
  }

  /** Releases what the attempts' prepare() took (carrier limits): call over. */
  async release(): Promise<void> {
    await Promise.allSettled(this.#releases.splice(0).map((r) => r()));
  }

  /** Hangs up a call still being set up (drain, operator): cancels the B legs, answers A. */
  abort(status: number): void {
    this.#cancelled = true;
    for (const p of this.#pending) p.cancel();
    if (!this.#answeredA && !this.d.res.finalResponseSent) this.d.res.send(status);
  }
}
