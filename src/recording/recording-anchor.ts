// The MediaAnchor: puts a FreeSWITCH endpoint pair in the media path of a call whose number has
// recording on, and records both directions.
//
//   anchor()    A-leg endpoint from the caller's SDP (FreeSWITCH answers it; the caller is answered
//               only after the callee, with the SDP connect() returns); B-leg 3pcc endpoint whose
//               offer is what the callee gets.
//   connect()   epB.modify(callee's answer), optional consent prompt to both parties, uuid_bridge,
//               RECORD_STEREO (two channels), record_session into the server's tmpfs.
//   control()   uuid_record pause / resume / stop / start (appending) / mask / unmask.
//   release()   hang both endpoints up (FreeSWITCH finishes the file before its BYE), take the file
//               off the server, seal and store it, insert the row, delete the server's copy.
//
// Anything that fails on the way in leaves the call unrecorded but connected: the caller gets
// { unrecorded: reason } and the call goes on without a media server.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { MediaConfig } from '../config/index.js';
import type { NumberCache } from '../cache/number-cache.js';
import { Errors } from '../platform/errors.js';
import { counter, gauge, histogram } from '../platform/metrics.js';
import type {
  AnchoredMedia,
  ControlAction,
  MediaAnchor,
  MediaAnchorRequest,
  RecordingOutcome,
} from './anchor.types.js';
import type { FsEndpoint } from './fsmrf.js';
import type { MediaPool, MediaServerSlot } from './media-pool.js';
import { RecordingGone, type RecordingStore } from './recording-store.js';
import type { LiveCalls } from './live-calls.js';
import type { RecordingSpool } from './recording-spool.js';

/** What FreeSWITCH's playback may be given from a number's settings: one token, no control bytes. */
export function playablePrompt(prompt: string): boolean {
  return /^[A-Za-z0-9_./:%=@+,-]{1,512}$/.test(prompt) && !prompt.includes('..');
}

export interface AnchorDeps {
  pool: MediaPool;
  store: RecordingStore;
  numbers: NumberCache;
  config: MediaConfig;
  metrics: Registry;
  live: LiveCalls;
  spool: RecordingSpool;
}

/** Every recording metric except the pool's (created at feature start, exported from the first scrape). */
export function metricsOf(metrics: Registry) {
  return {
    unrecorded: counter(
      metrics,
      'recording_unrecorded_total',
      'calls with recording on that went unrecorded, by reason (alert on increase)',
      ['reason'],
    ),
    outcomes: counter(metrics, 'recordings_total', 'recorded calls by outcome (recorded, failed)', [
      'outcome',
    ]),
    setup: histogram(metrics, 'recording_anchor_setup_seconds', 'time to anchor a call on a media server'),
    store: histogram(
      metrics,
      'recording_store_seconds',
      'time to take a recording off the media server, seal and store it',
    ),
    control: counter(
      metrics,
      'recording_control_total',
      'live recording control requests by action and outcome',
      ['action', 'outcome'],
    ),
    pending: gauge(
      metrics,
      'recording_store_pending',
      'recordings queued for a retried store (their audio still on the media server)',
    ),
    lost: counter(
      metrics,
      'recording_store_lost_total',
      'queued recordings whose audio was gone from the media server when retried',
    ),
    sourceLeft: counter(
      metrics,
      'recording_source_delete_failures_total',
      'recordings stored whose media-server copy could not be deleted',
    ),
  };
}

type Metrics = ReturnType<typeof metricsOf>;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

/** A bounded reason label from an anchoring failure. */
function reasonOf(err: unknown): string {
  const e = err as { status?: number; message?: string };
  if (typeof e.status === 'number')
    return e.status === 503 ? 'media_server_refused' : `media_server_sip_${e.status >= 500 ? '5xx' : '4xx'}`;
  if (/longer than/.test(e.message ?? '')) return 'media_server_timeout';
  return 'media_server_error';
}

export class FsMediaAnchor implements MediaAnchor {
  readonly #m: Metrics;
  constructor(private readonly deps: AnchorDeps) {
    this.#m = metricsOf(deps.metrics);
  }

  async anchor(req: MediaAnchorRequest): Promise<AnchoredMedia | { unrecorded: string }> {
    if (!req.settings.enabled) return { unrecorded: 'recording_off' };
    const unrecorded = (reason: string, err?: unknown): { unrecorded: string } => {
      this.#m.unrecorded.inc({ reason });
      req.log.warn(
        { callId: req.callId, reason, err: (err as Error | undefined)?.message },
        'call goes on unrecorded',
      );
      return { unrecorded: reason };
    };
    const prompt = req.settings.consentPrompt;
    if (prompt && !playablePrompt(prompt)) return unrecorded('consent_prompt_invalid');
    const pick = this.deps.pool.pick();
    if ('unavailable' in pick) return unrecorded(pick.unavailable);
    const { slot } = pick;
    const ms = slot.ms;
    if (!ms) return unrecorded('all_down');
    slot.inUse++;
    const started = process.hrtime.bigint();
    let abandoned = false;
    const endpoints: FsEndpoint[] = [];
    const setup = (async () => {
      endpoints.push(await ms.createEndpoint({ remoteSdp: req.callerSdp }));
      endpoints.push(await ms.createEndpoint());
      // Anchored too late (timed out meanwhile): release what arrived.
      if (abandoned) for (const ep of endpoints) void ep.destroy().catch(() => undefined);
      return endpoints as [FsEndpoint, FsEndpoint];
    })();
    try {
      const [epA, epB] = await withTimeout(setup, this.deps.config.setupTimeoutMs, 'anchoring');
      this.#m.setup.observe(Number(process.hrtime.bigint() - started) / 1e9);
      return new AnchoredCall(req, slot, epA, epB, this.deps, this.#m);
    } catch (err) {
      abandoned = true;
      slot.inUse--;
      for (const ep of endpoints) void ep.destroy().catch(() => undefined);
      setup.catch(() => undefined);
      return unrecorded(reasonOf(err), err);
    }
  }
}

type State = 'anchored' | 'consent' | 'recording' | 'paused' | 'stopped' | 'released';

export class AnchoredCall implements AnchoredMedia {
  readonly recordingId = randomUUID();
  readonly offerSdp: string;
  #state: State = 'anchored';
  #recorded = false;
  #startedAt: Date | undefined;
  #failure: string | undefined;
  #outcome: Promise<RecordingOutcome> | undefined;
  readonly #file: string;
  readonly #path: string;

  constructor(
    readonly req: MediaAnchorRequest,
    private readonly slot: MediaServerSlot,
    private readonly epA: FsEndpoint,
    private readonly epB: FsEndpoint,
    private readonly deps: AnchorDeps,
    private readonly m: Metrics,
  ) {
    this.offerSdp = epB.local.sdp;
    this.#file = `${this.recordingId}.wav`;
    this.#path = path.posix.join(slot.config.recordingsDir, this.#file);
  }

  get state(): State {
    return this.#state;
  }
  get serverName(): string {
    return this.slot.name;
  }

  async connect(calleeSdp: string): Promise<string> {
    if (this.#state !== 'anchored') throw new Error(`connect() in state ${this.#state}`);
    await this.epB.modify(calleeSdp);
    await this.deps.live.register(this);
    const prompt = this.req.settings.consentPrompt;
    if (prompt) {
      // The caller is answered with our SDP first; both parties hear the prompt, then talk (and are
      // recorded). Runs after connect() returns: the answer must not wait for the prompt.
      this.#state = 'consent';
      void Promise.all([this.epA.play(prompt), this.epB.play(prompt)])
        .then(() => (this.#state === 'consent' ? this.#bridgeAndRecord() : undefined))
        .catch((err: Error) => {
          this.#failure = `consent prompt failed: ${err.message}`;
          this.req.log.warn(
            { callId: this.req.callId, err: err.message },
            'consent prompt failed; not recording',
          );
          // The parties must still talk: bridge without recording.
          if (this.#state === 'consent') void this.epA.bridge(this.epB).catch(() => undefined);
        });
    } else await this.#bridgeAndRecord();
    return this.epA.local.sdp;
  }

  async #bridgeAndRecord(): Promise<void> {
    await this.epA.bridge(this.epB);
    if (this.#state === 'released') return;
    if (this.req.settings.channels === 2) await this.epA.set('RECORD_STEREO', true);
    await this.epA.recordSession(this.#path);
    this.#startedAt = new Date();
    this.#recorded = true;
    this.#state = 'recording';
    this.req.log.info(
      { callId: this.req.callId, server: this.slot.name, recordingId: this.recordingId },
      'recording',
    );
  }

  async control(action: ControlAction): Promise<void> {
    const allowed: Record<ControlAction, State[]> = {
      pause: ['recording'],
      resume: ['paused'],
      stop: ['recording', 'paused'],
      start: ['stopped'],
      mask: ['recording', 'paused'],
      unmask: ['recording', 'paused'],
    };
    if (!allowed[action].includes(this.#state)) {
      this.m.control.inc({ action, outcome: 'conflict' });
      throw Errors.conflict(`cannot ${action} a recording that is ${this.#state}`);
    }
    // Restarting after stop appends to the same file (one recording per call).
    if (action === 'start') await this.epA.set('RECORD_APPEND', true);
    const reply = (await this.epA.api('uuid_record', `${this.epA.uuid} ${action} ${this.#path}`)).getBody();
    if (!reply.startsWith('+OK')) {
      this.m.control.inc({ action, outcome: 'failed' });
      this.req.log.warn(
        { callId: this.req.callId, action, reply: reply.trim() },
        'recording control refused',
      );
      throw Errors.conflict(`media server refused ${action}: ${reply.trim()}`);
    }
    if (action === 'pause') this.#state = 'paused';
    else if (action === 'resume' || action === 'start') this.#state = 'recording';
    else if (action === 'stop') this.#state = 'stopped';
    this.m.control.inc({ action, outcome: 'ok' });
    this.req.log.info({ callId: this.req.callId, action }, 'recording control');
  }

  release(): Promise<RecordingOutcome> {
    this.#outcome ??= this.#release();
    return this.#outcome;
  }

  async #release(): Promise<RecordingOutcome> {
    const wasConnected = this.#state !== 'anchored';
    this.#state = 'released';
    await this.deps.live.unregister(this);
    // Hang up both endpoints; FreeSWITCH closes the recording before it sends its BYE.
    for (const ep of [this.epA, this.epB])
      await withTimeout(ep.destroy(), 5000, 'hanging up an endpoint').catch((err: Error) =>
        this.req.log.warn({ callId: this.req.callId, err: err.message }, 'endpoint hangup'),
      );
    this.slot.inUse--;
    const log = this.req.log;
    const file = {
      filesUrl: this.slot.config.filesUrl,
      token: this.slot.config.filesToken.reveal(),
      name: this.#file,
    };
    if (!wasConnected) return { status: 'unrecorded', reason: 'call_not_connected' };
    if (!this.#recorded) {
      await this.deps.store.deleteSource(file).catch(() => undefined);
      this.m.unrecorded.inc({ reason: 'recording_not_started' });
      return { status: 'unrecorded', reason: this.#failure ?? 'recording_not_started' };
    }
    const entry = this.deps.numbers.get(this.req.number);
    const req = {
      id: this.recordingId,
      customerId: this.req.customerId,
      region: this.req.region,
      callId: this.req.callId,
      number: this.req.number,
      startedAt: this.#startedAt ?? new Date(),
      channels: this.req.settings.channels,
      retention: entry?.retention ?? { policy: '30d' as const },
    };
    const started = process.hrtime.bigint();
    let lastError = '';
    for (let attempt = 1; attempt <= this.deps.config.fetchAttempts; attempt++) {
      try {
        const stored = await this.deps.store.store(file, req);
        this.m.store.observe(Number(process.hrtime.bigint() - started) / 1e9);
        await this.deps.store.deleteSource(file).catch((err: Error) => {
          this.m.sourceLeft.inc();
          log.error(
            { callId: this.req.callId, server: this.slot.name, err: err.message },
            'media-server copy not deleted',
          );
        });
        this.m.outcomes.inc({ outcome: 'recorded' });
        log.info(
          {
            callId: this.req.callId,
            recordingId: stored.id,
            bytes: stored.sizeBytes,
            durationMs: stored.durationMs,
          },
          'recording stored',
        );
        return { status: 'recorded', recordingId: stored.id };
      } catch (err) {
        lastError = (err as Error).message;
        if (err instanceof RecordingGone) {
          this.m.outcomes.inc({ outcome: 'failed' });
          log.error(
            { callId: this.req.callId, server: this.slot.name },
            'recording lost: the media server no longer has it',
          );
          return { status: 'failed', reason: 'recording_lost' };
        }
        log.warn({ callId: this.req.callId, attempt, err: lastError }, 'storing the recording failed');
        if (attempt < this.deps.config.fetchAttempts)
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
    // Not lost: the audio stays on the media server and the job is retried until it is stored.
    try {
      this.deps.spool.add(this.slot.name, this.#file, req);
      this.m.outcomes.inc({ outcome: 'deferred' });
      log.warn(
        { callId: this.req.callId, recordingId: this.recordingId, server: this.slot.name, err: lastError },
        'recording not stored yet; queued for retry',
      );
      return { status: 'recorded', reason: 'store_deferred', recordingId: this.recordingId };
    } catch (err) {
      this.m.outcomes.inc({ outcome: 'failed' });
      log.error(
        {
          callId: this.req.callId,
          recordingId: this.recordingId,
          server: this.slot.name,
          err: (err as Error).message,
        },
        'recording could not be stored or queued; left on the media server',
      );
      return { status: 'failed', reason: 'store_failed' };
    }
  }
}
