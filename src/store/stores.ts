// Opens every database this deployment uses and applies migrations: the control plane and one per
// served region, or, when none is configured, one embedded PGlite standing in for all of them.
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config, Region } from '../config/index.js';
import { REGIONS } from '../config/index.js';
import type { Db } from './db.js';
import { PostgresDb } from './postgres.db.js';
import { PgliteHost } from './pglite.db.js';
import { migrate } from './migrate.js';
import { ensureMonthlyPartitions } from './partitions.js';
import { RegionRouter } from './region-router.js';
import type { Registry } from '../platform/metrics.js';
import { timed, dbTimer, DB_METHODS } from '../platform/timed.js';

export interface Stores {
  control: Db;
  router: RegionRouter;
  embedded: boolean;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  config: Pick<Config, 'databases' | 'embedded' | 'instance'>;
  log: Logger;
  now?: () => Date;
  /** Embedded only: keep PGlite in memory (tests). */
  inMemory?: boolean;
  /** When given, every database call is timed (db_query_duration_seconds{db, op}). */
  metrics?: Registry;
}

export async function openStores({
  config,
  log,
  now = () => new Date(),
  inMemory,
  metrics,
}: OpenStoresOptions): Promise<Stores> {
  const instrument = (db: Db): Db => (metrics ? timed(db, DB_METHODS, dbTimer(metrics, db.label)) : db);
  const { databases } = config;
  const configured = REGIONS.filter((r) => databases.regions[r] !== undefined);
  let control: Db;
  const regions = new Map<Region, Db>();
  const embedded = !databases.control && configured.length === 0;

  if (embedded) {
    const dir = inMemory ? undefined : path.resolve(config.embedded.dataDir, 'pglite');
    log.info(
      { dataDir: dir ?? 'memory' },
      'no databases configured: using embedded PGlite for control plane and every region',
    );
    const host = await PgliteHost.open(dir);
    control = instrument(host.handle('control'));
    for (const r of REGIONS) regions.set(r, instrument(host.handle(r)));
  } else {
    if (!databases.control)
      throw new Error('databases.control is required when regional databases are configured');
    const open = (label: string, c: NonNullable<typeof databases.control>) =>
      instrument(
        new PostgresDb({
          label,
          connectionString: c.url.reveal(),
          poolSize: c.poolSize,
          connectTimeoutMs: c.connectTimeoutMs,
          statementTimeoutMs: c.statementTimeoutMs,
          applicationName: `routing-core/${config.instance.id}`,
        }),
      );
    control = open('control', databases.control);
    for (const r of configured)
      regions.set(r, open(r, databases.regions[r] as NonNullable<typeof databases.control>));
  }

  const router = new RegionRouter(control, regions);
  await migrateAll(control, router, log, now());
  const customers = await router.loadDirectory();
  log.info({ customers }, 'customer directory loaded');
  return {
    control,
    router,
    embedded,
    async close() {
      const all = new Set<Db>([control, ...regions.values()]);
      await Promise.allSettled([...all].map((db) => db.close()));
    },
  };
}

export async function migrateAll(control: Db, router: RegionRouter, log: Logger, now: Date): Promise<void> {
  const applied = await migrate(control, 'control');
  if (applied.length) log.info({ db: 'control', applied }, 'migrations applied');
  for (const { db, regions } of router.distinctDatabases()) {
    const done = await migrate(db, 'region');
    if (done.length) log.info({ db: db.label, regions, applied: done }, 'migrations applied');
    const created = await ensureMonthlyPartitions(db, now);
    if (created.length) log.info({ db: db.label, created }, 'record partitions created');
  }
}
