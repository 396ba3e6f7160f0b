// The records writer: the one way CDRs and MDRs reach the customer's regional database.
//
//   1. write() flattens the record to a row and resolves the customer's region (region router).
//   2. Rows queue per region and kind; a batch goes out when it is full or flushIntervalMs after its
//      first row, as one multi-row INSERT ... ON CONFLICT (idempotent: the record id is unique).
//   3. When the region's database is unreachable, the batch is appended to the spool (fsynced) and the
//      region is marked down; later batches for it go straight to the spool.
//   4. A replay loop probes a down region and replays its spool in order, then marks it up.
//   5. Rows the database refuses as data are isolated by bisection and dead-lettered to a file an
//      operator can inspect; the rest of the batch is written. Nothing is dropped silently.
// write() resolves once the row is durable: in the database or in the spool.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Db } from '../store/db.js';
import { isConnectionError } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { Region } from '../config/index.js';
import { counter, gauge, histogram } from '../platform/metrics.js';
import { type Cell, type RecordKind, toRow, insertSql, columnArrays } from './record-kind.js';
import { Spool } from './spool.js';

export interface RecordsWriterOptions {
  router: RegionRouter;
  /** Every kind this writer may meet, including in a spool left by an earlier process. */
  kinds: readonly RecordKind<never>[];
  spoolDir: string;
  batchMaxRows: number;
  flushIntervalMs: number;
  maxConcurrentFlushes: number;
  replayIntervalMs: number;
  /** Rows held in memory per region before new ones overflow to the spool. */
  maxQueuedRows?: number;
  log: Logger;
  metrics: Registry;
}

interface Pending {
  row: Cell[];
  id: string;
  enqueuedAt: number;
  done: () => void;
}

interface RegionQueue {
  region: Region;
  db: Db;
  pending: Map<string, Pending[]>;
  timers: Map<string, NodeJS.Timeout>;
  inflight: number;
  down: boolean;
  replayTimer?: NodeJS.Timeout;
  replaying: boolean;
}

// A statement cancelled by statement_timeout usually means an overloaded or failing-over server:
// retry later from the spool rather than treat the rows as bad.
const TRANSIENT_CODES = new Set(['57014', '40001', '40P01']);

export function isTransient(err: unknown): boolean {
  return isConnectionError(err) || TRANSIENT_CODES.has((err as { code?: string }).code ?? '');
}

export class RecordsWriter {
  readonly #kinds = new Map<string, RecordKind<unknown>>();
  readonly #queues = new Map<Region, RegionQueue>();
  readonly #inflight = new Set<Promise<void>>();
  /** Writes still waiting for their customer's region; flush() waits for them too. */
  readonly #resolving = new Set<Promise<unknown>>();
  readonly #spool: Spool;
  readonly #log: Logger;
  readonly #m;
  #closed = false;
  /** Set when close() starts: region lookups stop retrying so shutdown stays bounded. */
  #closing = false;

  constructor(private readonly opts: RecordsWriterOptions) {
    this.#spool = new Spool(opts.spoolDir);
    for (const kind of opts.kinds) this.#kinds.set(kind.name, kind as RecordKind<unknown>);
    this.#log = opts.log.child({ component: 'records' });
    const r = opts.metrics;
    this.#m = {
      written: counter(r, 'records_written_total', 'Rows written to a regional database', [
        'kind',
        'region',
        'path',
      ]),
      spooled: counter(
        r,
        'records_spooled_total',
        'Rows appended to the local spool (database unreachable or queue full)',
        ['kind', 'region'],
      ),
      dead: counter(
        r,
        'records_dead_lettered_total',
        'Rows the database refused as data, kept in the dead-letter file',
        ['kind', 'region'],
      ),
      queued: gauge(r, 'records_queue_rows', 'Rows waiting in memory for their batch', ['region']),
      spoolFiles: gauge(r, 'records_spool_batches', 'Batches waiting in the spool', ['region']),
      down: gauge(r, 'records_region_down', '1 while a regional database is unreachable for records', [
        'region',
      ]),
      flush: histogram(
        r,
        'records_flush_seconds',
        'Time to write one batch',
        ['region'],
        [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      ),
      latency: histogram(
        r,
        'records_durable_seconds',
        'Time from write() to durable (database or spool)',
        ['kind'],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ),
    };
    // Every series of a served region exists from the start (at 0), so rate() and alerts on them
    // work before the first spool or dead letter, and dashboards show the region at once.
    for (const region of opts.router.served()) {
      this.#m.queued.set({ region }, 0);
      this.#m.spoolFiles.set({ region }, 0);
      this.#m.down.set({ region }, 0);
      for (const kind of opts.kinds) {
        this.#m.written.inc({ kind: kind.name, region, path: 'direct' }, 0);
        this.#m.written.inc({ kind: kind.name, region, path: 'replay' }, 0);
        this.#m.spooled.inc({ kind: kind.name, region }, 0);
        this.#m.dead.inc({ kind: kind.name, region }, 0);
      }
    }
  }

  /** Replays whatever an earlier process left in the spool. */
  async start(): Promise<void> {
    for (const region of await this.#spool.regions()) {
      if (!this.opts.router.isServed(region as Region)) {
        this.#log.error(
          { region },
          'spool holds batches for a region this deployment does not serve; left in place',
        );
        continue;
      }
      const files = await this.#spool.list(region);
      this.#m.spoolFiles.set({ region }, files.length);
      if (files.length > 0) {
        this.#log.info({ region, batches: files.length }, 'spool found at start: replaying');
        this.#scheduleReplay(this.#queue(region as Region), 0);
      }
    }
  }

  /** Resolves when the record is durable (in its regional database or in the spool). */
  async write<R>(kind: RecordKind<R>, record: R): Promise<void> {
    if (this.#kinds.get(kind.name) !== (kind as RecordKind<unknown>)) {
      throw new TypeError(`record kind ${kind.name} was not given to the RecordsWriter`);
    }
    const row = toRow(kind, record);
    const id = kind.id(record);
    const enqueuedAt = performance.now();
    const customerId = kind.customerId(record);
    const lookup = this.#regionOf(customerId);
    this.#resolving.add(lookup);
    let region: Region | undefined;
    try {
      region = await lookup;
    } catch (err) {
      // The control plane stayed unreachable until shutdown: keep the row for an operator.
      this.#log.error(
        { err, kind: kind.name, recordId: id, customerId },
        'region of record unknown at shutdown: dead-lettered',
      );
      this.#m.dead.inc({ kind: kind.name, region: 'unknown' });
      await this.#spool.deadLetter('unknown', kind.name, [row], 'region lookup failed');
      return;
    } finally {
      this.#resolving.delete(lookup);
    }
    if (!region || !this.opts.router.isServed(region)) {
      // No region to write to: keep the row for an operator rather than lose it.
      this.#log.error(
        { kind: kind.name, recordId: id, customerId },
        'record for a customer with no served region: dead-lettered',
      );
      this.#m.dead.inc({ kind: kind.name, region: region ?? 'unknown' });
      await this.#spool.deadLetter(region ?? 'unknown', kind.name, [row], 'customer has no served region');
      return;
    }
    const q = this.#queue(region);
    return new Promise<void>((resolve) => {
      const done = () => {
        this.#m.latency.observe({ kind: kind.name }, (performance.now() - enqueuedAt) / 1000);
        resolve();
      };
      const list = q.pending.get(kind.name) ?? [];
      q.pending.set(kind.name, list);
      list.push({ row, id, enqueuedAt, done });
      this.#m.queued.inc({ region });
      this.#schedule(q, kind.name);
    });
  }

  /** The customer's region; retried while the control plane is unreachable, given up only at close. */
  async #regionOf(customerId: string): Promise<Region | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.opts.router.regionOfCustomer(customerId);
      } catch (err) {
        if (this.#closing || !isTransient(err)) throw err;
        if (attempt === 0)
          this.#log.warn(
            { err: { message: (err as Error).message }, customerId },
            'customer region lookup failed: retrying',
          );
        await new Promise((r) => setTimeout(r, this.opts.replayIntervalMs));
      }
    }
  }

  /** Writes everything queued; used at shutdown. Spools what cannot reach its database. */
  async flush(): Promise<void> {
    while (this.#resolving.size > 0) await Promise.allSettled([...this.#resolving]);
    for (;;) {
      for (const q of this.#queues.values()) {
        for (const [kindName, timer] of q.timers) {
          clearTimeout(timer);
          q.timers.delete(kindName);
        }
        for (const kindName of q.pending.keys()) this.#drain(q, kindName);
      }
      if (this.#inflight.size === 0 && [...this.#queues.values()].every((q) => this.#queuedRows(q) === 0))
        return;
      await Promise.race([...this.#inflight, new Promise((r) => setTimeout(r, 5))]);
    }
  }

  /** Stops timers after a final flush; a last replay attempt is made for regions that came back. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.flush();
    this.#closed = true;
    for (const q of this.#queues.values()) {
      if (q.replayTimer) clearTimeout(q.replayTimer);
      if (q.down && !q.replaying) await this.#replay(q).catch(() => undefined);
    }
  }

  stats(): { queuedRows: number; regionsDown: Region[] } {
    let queuedRows = 0;
    const regionsDown: Region[] = [];
    for (const q of this.#queues.values()) {
      queuedRows += this.#queuedRows(q);
      if (q.down) regionsDown.push(q.region);
    }
    return { queuedRows, regionsDown };
  }

  #queue(region: Region): RegionQueue {
    let q = this.#queues.get(region);
    if (!q) {
      q = {
        region,
        db: this.opts.router.region(region),
        pending: new Map(),
        timers: new Map(),
        inflight: 0,
        down: false,
        replaying: false,
      };
      this.#queues.set(region, q);
    }
    return q;
  }

  #queuedRows(q: RegionQueue): number {
    let n = 0;
    for (const list of q.pending.values()) n += list.length;
    return n;
  }

  #schedule(q: RegionQueue, kindName: string): void {
    const list = q.pending.get(kindName) ?? [];
    const overflow = this.#queuedRows(q) > (this.opts.maxQueuedRows ?? 100_000);
    if (list.length >= this.opts.batchMaxRows || overflow) {
      const timer = q.timers.get(kindName);
      if (timer) clearTimeout(timer);
      q.timers.delete(kindName);
      this.#drain(q, kindName, overflow);
      return;
    }
    if (!q.timers.has(kindName)) {
      q.timers.set(
        kindName,
        setTimeout(() => {
          q.timers.delete(kindName);
          this.#drain(q, kindName);
        }, this.opts.flushIntervalMs),
      );
    }
  }

  /** Starts batches while under the concurrency limit; overflow sends batches straight to the spool. */
  #drain(q: RegionQueue, kindName: string, overflow = false): void {
    const list = q.pending.get(kindName);
    const kind = this.#kinds.get(kindName);
    if (!list || !kind) return;
    while (list.length > 0 && (overflow || q.inflight < this.opts.maxConcurrentFlushes)) {
      const batch = list.splice(0, this.opts.batchMaxRows);
      this.#m.queued.dec({ region: q.region }, batch.length);
      q.inflight += 1;
      const p = this.#writeBatch(q, kind, batch, overflow).finally(() => {
        q.inflight -= 1;
        this.#inflight.delete(p);
        if ((q.pending.get(kindName)?.length ?? 0) > 0) this.#schedule(q, kindName);
      });
      this.#inflight.add(p);
    }
  }

  async #writeBatch(
    q: RegionQueue,
    kind: RecordKind<unknown>,
    batch: Pending[],
    overflow: boolean,
  ): Promise<void> {
    const rows = batch.map((p) => p.row);
    if (!q.down && !overflow) {
      const started = performance.now();
      try {
        const dead = await this.#insertIsolating(q.db, kind, rows);
        this.#m.flush.observe({ region: q.region }, (performance.now() - started) / 1000);
        this.#m.written.inc({ kind: kind.name, region: q.region, path: 'direct' }, rows.length - dead.length);
        if (dead.length) await this.#deadLetter(q, kind, dead);
        for (const p of batch) p.done();
        return;
      } catch (err) {
        if (!isTransient(err)) {
          // Not an outage and not a bad row (those are isolated above): a bug or a failing disk.
          // The spool is the safe harbour; its replay isolates rows again.
          this.#log.error(
            { err, region: q.region, kind: kind.name },
            'unexpected error writing records: spooling the batch',
          );
        } else {
          if (!q.down) {
            const e = err as { message: string; code?: string };
            this.#log.warn(
              { err: { message: e.message, code: e.code }, region: q.region },
              'regional database unreachable: spooling records',
            );
          }
          q.down = true;
          this.#m.down.set({ region: q.region }, 1);
        }
      }
    }
    await this.#spoolBatch(q, kind, batch);
  }

  async #spoolBatch(q: RegionQueue, kind: RecordKind<unknown>, batch: Pending[]): Promise<void> {
    try {
      await this.#spool.append(q.region, { kind: kind.name, rows: batch.map((p) => p.row) });
    } catch (err) {
      // The disk refused too: keep the rows in memory and try again; their writers stay waiting, so
      // nothing upstream is acknowledged.
      this.#log.fatal(
        { err, region: q.region, rows: batch.length },
        'cannot write the records spool: rows kept in memory',
      );
      setTimeout(() => {
        const list = q.pending.get(kind.name) ?? [];
        list.unshift(...batch);
        q.pending.set(kind.name, list);
        this.#m.queued.inc({ region: q.region }, batch.length);
        this.#schedule(q, kind.name);
      }, this.opts.replayIntervalMs).unref();
      return;
    }
    this.#m.spooled.inc({ kind: kind.name, region: q.region }, batch.length);
    this.#m.spoolFiles.inc({ region: q.region });
    for (const p of batch) p.done();
    this.#scheduleReplay(q, this.opts.replayIntervalMs);
  }

  /** Inserts rows; rows refused as data are returned (with the reason) instead of failing the batch. */
  async #insertIsolating(
    db: Db,
    kind: RecordKind<unknown>,
    rows: Cell[][],
  ): Promise<{ row: Cell[]; reason: string }[]> {
    try {
      if (kind.insert) await db.tx((q) => (kind.insert as NonNullable<typeof kind.insert>)(q, rows));
      else await db.query(insertSql(kind), columnArrays(kind, rows));
      return [];
    } catch (err) {
      if (isTransient(err)) throw err;
      if (rows.length === 1) return [{ row: rows[0] as Cell[], reason: (err as Error).message }];
      const mid = Math.ceil(rows.length / 2);
      const left = await this.#insertIsolating(db, kind, rows.slice(0, mid));
      const right = await this.#insertIsolating(db, kind, rows.slice(mid));
      return [...left, ...right];
    }
  }

  async #deadLetter(
    q: RegionQueue,
    kind: RecordKind<unknown>,
    dead: { row: Cell[]; reason: string }[],
  ): Promise<void> {
    this.#m.dead.inc({ kind: kind.name, region: q.region }, dead.length);
    for (const d of dead) {
      const file = await this.#spool.deadLetter(q.region, kind.name, [d.row], d.reason);
      this.#log.error(
        { kind: kind.name, region: q.region, recordId: d.row[0], reason: d.reason, file },
        'record refused by the database: dead-lettered',
      );
    }
  }

  #scheduleReplay(q: RegionQueue, delayMs: number): void {
    if (q.replayTimer || this.#closed) return;
    q.replayTimer = setTimeout(() => {
      q.replayTimer = undefined;
      void this.#replay(q).catch((err) => {
        this.#log.error({ err, region: q.region }, 'spool replay failed: will retry');
        this.#scheduleReplay(q, this.opts.replayIntervalMs);
      });
    }, delayMs);
    q.replayTimer.unref();
  }

  /** Probes the region, replays its spool oldest first, and marks it up once the spool is empty. */
  async #replay(q: RegionQueue): Promise<void> {
    if (q.replaying) return;
    q.replaying = true;
    try {
      try {
        await q.db.ping();
      } catch {
        this.#scheduleReplay(q, this.opts.replayIntervalMs);
        return;
      }
      let replayed = 0;
      const skipped = new Set<string>();
      for (;;) {
        const files = (await this.#spool.list(q.region)).filter((f) => !skipped.has(f));
        if (files.length === 0) break;
        for (const file of files) {
          const batch = await this.#spool.read(file);
          const kind = this.#kinds.get(batch.kind);
          if (!kind) {
            this.#log.error(
              { file, kind: batch.kind },
              'spooled batch of an unknown record kind: left in place',
            );
            skipped.add(file);
            continue;
          }
          try {
            const dead = await this.#insertIsolating(q.db, kind, batch.rows);
            if (dead.length) await this.#deadLetter(q, kind, dead);
            this.#m.written.inc(
              { kind: kind.name, region: q.region, path: 'replay' },
              batch.rows.length - dead.length,
            );
          } catch (err) {
            if (!isTransient(err)) throw err;
            this.#scheduleReplay(q, this.opts.replayIntervalMs);
            return;
          }
          await this.#spool.remove(file);
          this.#m.spoolFiles.dec({ region: q.region });
          replayed += batch.rows.length;
        }
      }
      if (q.down || replayed > 0)
        this.#log.info({ region: q.region, replayed }, 'regional database back: spool replayed');
      q.down = false;
      this.#m.down.set({ region: q.region }, 0);
      this.#m.spoolFiles.set({ region: q.region }, (await this.#spool.list(q.region)).length);
    } finally {
      q.replaying = false;
    }
  }
}
