// Opens Stores for a test on either engine: the embedded PGlite (in memory) or server PostgreSQL
// (a fresh database per region, plus one for the control plane).
import type { Test } from 'tap';
import pino from 'pino';
import type { Region } from '../../src/config/index.js';
import { openStores, type Stores } from '../../src/store/stores.js';
import { createDatabase } from './services.js';
import { secret, testConfig } from './config.js';

export type Engine = 'pglite' | 'postgres';
export const ENGINES: Engine[] = ['pglite', 'postgres'];

export const silentLog = pino({ level: 'silent' });

export interface TestStores extends Stores {
  urls: Partial<Record<Region | 'control', string>>;
}

/**
 * postgres: the control plane and each listed region get their own database (default: NOAM and EURO).
 * pglite: one in-memory PGlite for everything, as in the embedded default.
 */
export async function openTestStores(
  t: Test,
  engine: Engine,
  { regions = ['NOAM', 'EURO'] as Region[], now }: { regions?: Region[]; now?: () => Date } = {},
): Promise<TestStores> {
  const urls: TestStores['urls'] = {};
  let config;
  if (engine === 'postgres') {
    urls.control = (await createDatabase(t, 'control')).url;
    for (const r of regions) urls[r] = (await createDatabase(t, r)).url;
    const db = (url: string) => ({
      url: secret(url),
      poolSize: 4,
      connectTimeoutMs: 2000,
      statementTimeoutMs: 10_000,
    });
    config = testConfig(t, {
      databases: {
        control: db(urls.control),
        regions: Object.fromEntries(regions.map((r) => [r, db(urls[r] as string)])),
      },
    });
  } else {
    config = testConfig(t);
  }
  const stores = await openStores({
    config,
    log: silentLog,
    inMemory: engine === 'pglite',
    ...(now ? { now } : {}),
  });
  t.teardown(() => stores.close());
  return Object.assign(stores, { urls });
}
