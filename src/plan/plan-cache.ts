// The routing plan, cached in memory on every instance as an immutable snapshot. Consumers (voice
// routing, SMS aggregator choice) build their own indexes from a snapshot and rebuild when a new one
// is published; a snapshot is never mutated, so a call in progress keeps a consistent view.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Db } from '../store/db.js';
import { gauge, counter } from '../platform/metrics.js';
import type { InvalidationBus } from '../cache/invalidation.js';
import { readPlan, type PlanRows, type VoiceCountry } from './plan.repo.js';
import type { Carrier, Gateway, Route, SmppBind } from './plan.repo.js';

export interface PlanSnapshot {
  readonly version: number;
  readonly loadedAt: Date;
  readonly carriers: ReadonlyMap<string, Carrier>;
  readonly gateways: readonly Gateway[];
  readonly routes: readonly Route[];
  readonly binds: readonly SmppBind[];
  /** Per-country voice rules (licensed carrier required, pinning), by ISO country. */
  readonly countries: ReadonlyMap<string, VoiceCountry>;
}

export type PlanListener = (plan: PlanSnapshot) => void;

export class PlanCache {
  #snapshot: PlanSnapshot = {
    version: 0,
    loadedAt: new Date(0),
    carriers: new Map(),
    gateways: [],
    routes: [],
    binds: [],
    countries: new Map(),
  };
  readonly #listeners = new Set<PlanListener>();
  readonly #m;

  constructor(
    private readonly control: Db,
    bus: InvalidationBus,
    private readonly log: Logger,
    metrics: Registry,
  ) {
    this.#m = {
      routes: gauge(metrics, 'cache_plan_routes', 'Routes in the cached routing plan', ['kind']),
      reloads: counter(metrics, 'cache_plan_reloads_total', 'Routing plan reloads'),
    };
    bus.on(async (inv) => {
      if (inv.type === 'plan' || inv.type === 'resync') await this.load();
    });
  }

  get snapshot(): PlanSnapshot {
    return this.#snapshot;
  }

  onChange(listener: PlanListener): void {
    this.#listeners.add(listener);
  }

  /**
   * Reloads run one after another: two overlapping reads could finish out of order and leave the
   * older plan installed after a newer one (a route added just now missing until the next change).
   */
  load(): Promise<void> {
    const next = this.#loading.then(
      () => this.#load(),
      () => this.#load(),
    );
    this.#loading = next.catch(() => undefined);
    return next;
  }

  #loading: Promise<void> = Promise.resolve();

  async #load(): Promise<void> {
    const started = Date.now();
    const rows = await readPlan(this.control);
    this.install(rows);
    this.log.info(
      {
        carriers: rows.carriers.length,
        routes: rows.routes.length,
        version: this.#snapshot.version,
        ms: Date.now() - started,
      },
      'routing plan loaded',
    );
  }

  /** Installs a plan (also used by benchmarks that load a synthetic plan without a database). */
  install(rows: PlanRows): void {
    this.#snapshot = Object.freeze({
      version: this.#snapshot.version + 1,
      loadedAt: new Date(),
      carriers: new Map(rows.carriers.map((c) => [c.id, c])),
      gateways: rows.gateways,
      routes: rows.routes,
      binds: rows.binds,
      countries: new Map((rows.countries ?? []).map((c) => [c.country, c])),
    });
    this.#m.reloads.inc();
    this.#m.routes.set({ kind: 'voice' }, rows.routes.filter((r) => r.kind === 'voice').length);
    this.#m.routes.set({ kind: 'sms' }, rows.routes.filter((r) => r.kind === 'sms').length);
    for (const l of this.#listeners) l(this.#snapshot);
  }
}
