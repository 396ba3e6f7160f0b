// The retention sweeper. Every sweepIntervalMs, for each regional database: take the region's sweep
// lock (shared state, so one sweeper per region across all instances), then
//   1. content: finish interrupted deletions, delete expired recordings and message content
//      (mark → delete objects → purge rows, in batches, renewing the lock after each batch)
//   2. records: partitions ahead, old partitions exported (where configured) and dropped, cold
//      exports past their keep-until, SIP traces and audit records past their days
//   3. metrics: what was deleted by kind, the oldest overdue item left, partitions acted on
// A run that loses its lock stops after the batch in hand; a run that fails leaves marked rows the
// next run finishes. The clock is injected (`now`) so tests move time instead of waiting for it.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config, Region } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { SharedState } from '../state/index.js';
import type { Envelope } from '../crypto/index.js';
import type { ObjectStore } from '../objects/index.js';
import { counter, gauge, histogram } from '../platform/metrics.js';
import { ContentDeleter, type DeleterHooks } from '../content/content-deleter.js';
import { CONTENT_KINDS, oldestExpiry } from '../content/content.repo.js';
import { overdueMs } from './expiry.policy.js';
import { sweepContent } from './content.sweep.js';
import { sweepRecords, type RecordsSweepResult } from './records.sweep.js';

export interface SweeperDeps {
  router: RegionRouter;
  objects: ObjectStore;
  envelope: Envelope;
  state: SharedState;
  log: Logger;
  metrics: Registry;
  config: Config['retention'];
  instanceId: string;
  now?: () => Date;
  hooks?: DeleterHooks & {
    /** Called once a region's lock is held, before anything is swept (tests hold the lock here). */
    onLocked?(regions: Region[]): Promise<void> | void;
  };
}

export type SweepOutcome =
  | { regions: Region[]; result: 'skipped' }
  | { regions: Region[]; result: 'error'; error: Error }
  | {
      regions: Region[];
      result: 'ok';
      deleted: { recording: number; message_content: number };
      records: RecordsSweepResult;
      complete: boolean;
    };

export class RetentionSweeper {
  readonly #deleter: ContentDeleter;
  readonly #now: () => Date;
  readonly #m;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;
  #lastOk: number | undefined;

  constructor(private readonly deps: SweeperDeps) {
    this.#now = deps.now ?? (() => new Date());
    this.#deleter = new ContentDeleter(deps.router, deps.objects, deps.config.deleteConcurrency, deps.hooks);
    const m = deps.metrics;
    this.#m = {
      deleted: counter(m, 'retention_deleted_total', 'Items deleted by the retention sweeper, by kind', [
        'kind',
      ]),
      overdue: gauge(
        m,
        'retention_oldest_overdue_seconds',
        'Age past expiry of the oldest item still stored',
        ['kind'],
      ),
      runs: counter(
        m,
        'retention_sweeps_total',
        'Sweeps of a region by result (ok, error, skipped: lock held elsewhere)',
        ['result'],
      ),
      partitions: counter(
        m,
        'retention_partitions_total',
        'Record partitions created, exported and dropped',
        ['action'],
      ),
      duration: histogram(
        m,
        'retention_sweep_duration_seconds',
        'Duration of a sweep of one region database',
        [],
        [0.01, 0.05, 0.25, 1, 5, 30, 120, 600],
      ),
    };
    // Every series exists from the start (at 0): rate() and the retention alerts need no first event.
    for (const kind of ['recording', 'message_content', 'sip_trace', 'audit_record', 'cold_export'])
      this.#m.deleted.inc({ kind }, 0);
    for (const action of ['created', 'dropped', 'exported']) this.#m.partitions.inc({ action }, 0);
    for (const result of ['ok', 'error', 'skipped']) this.#m.runs.inc({ result }, 0);
  }

  /** Sweeps on a timer until stop(). The first sweep starts at once. */
  start(): void {
    // Counted from the start: a sweeper that never succeeds becomes unhealthy too.
    this.#lastOk = Date.now();
    const tick = async () => {
      if (this.#stopped) return;
      this.#running = this.runOnce().catch((err) => this.deps.log.error({ err }, 'retention sweep failed'));
      await this.#running;
      if (!this.#stopped) this.#timer = setTimeout(() => void tick(), this.deps.config.sweepIntervalMs);
    };
    void tick();
  }

  /** Stops the timer and waits for a sweep in progress to finish its batch. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Milliseconds since a sweep last succeeded here or was found held by another instance (health). */
  sinceLastSuccess(): number | undefined {
    return this.#lastOk === undefined ? undefined : Date.now() - this.#lastOk;
  }

  /** One sweep of every regional database this deployment serves. */
  async runOnce(): Promise<SweepOutcome[]> {
    const out: SweepOutcome[] = [];
    for (const { db, regions } of this.deps.router.distinctDatabases()) {
      if (this.#stopped) break;
      out.push(await this.sweepDatabase(db, regions));
    }
    return out;
  }

  async sweepDatabase(db: Db, regions: Region[]): Promise<SweepOutcome> {
    const { state, config, instanceId, log } = this.deps;
    const lock = `retention:sweep:${regions.join('+')}`;
    if (!(await state.tryLock(lock, instanceId, config.lockTtlMs))) {
      this.#m.runs.inc({ result: 'skipped' });
      // Another instance sweeps this region: healthy from this instance's point of view.
      this.#lastOk = Date.now();
      return { regions, result: 'skipped' };
    }
    const timer = this.#m.duration.startTimer();
    let complete = true;
    const keepGoing = async () => {
      if (this.#stopped) complete = false;
      else if (!(await state.renewLock(lock, instanceId, config.lockTtlMs))) {
        log.warn({ regions }, 'retention sweep lost its lock: stopping this run');
        complete = false;
      }
      return complete;
    };
    try {
      await this.deps.hooks?.onLocked?.(regions);
      const now = this.#now();
      const deleted = await sweepContent(db, now, {
        deleter: this.#deleter,
        batchSize: config.batchSize,
        keepGoing,
      });
      const records = complete
        ? await sweepRecords(db, now, config, this.deps)
        : { created: [], dropped: [], exported: [], sipTraces: 0, auditRecords: 0, coldExports: 0 };
      this.#count(deleted, records);
      await this.#measureOverdue(db, now);
      this.#m.runs.inc({ result: 'ok' });
      this.#lastOk = Date.now();
      if (deleted.recording + deleted.message_content + records.sipTraces + records.dropped.length > 0)
        log.info({ regions, deleted, ...records }, 'retention sweep done');
      return { regions, result: 'ok', deleted, records, complete };
    } catch (err) {
      this.#m.runs.inc({ result: 'error' });
      log.error({ err, regions }, 'retention sweep of a region failed; the next run finishes its work');
      return { regions, result: 'error', error: err as Error };
    } finally {
      timer();
      await state.unlock(lock, instanceId).catch(() => undefined);
    }
  }

  #count(deleted: { recording: number; message_content: number }, r: RecordsSweepResult): void {
    const inc = (kind: string, n: number) => n > 0 && this.#m.deleted.inc({ kind }, n);
    inc('recording', deleted.recording);
    inc('message_content', deleted.message_content);
    inc('sip_trace', r.sipTraces);
    inc('audit_record', r.auditRecords);
    inc('cold_export', r.coldExports);
    if (r.created.length) this.#m.partitions.inc({ action: 'created' }, r.created.length);
    if (r.dropped.length) this.#m.partitions.inc({ action: 'dropped' }, r.dropped.length);
    if (r.exported.length) this.#m.partitions.inc({ action: 'exported' }, r.exported.length);
  }

  async #measureOverdue(db: Db, now: Date): Promise<void> {
    for (const kind of CONTENT_KINDS)
      this.#m.overdue.set({ kind }, overdueMs(await oldestExpiry(db, kind), now) / 1000);
    const { rows } = await db.query<{ e: Date | null }>('SELECT min(expires_at) AS e FROM sip_traces');
    this.#m.overdue.set({ kind: 'sip_trace' }, overdueMs(rows[0]?.e ?? undefined, now) / 1000);
  }
}
