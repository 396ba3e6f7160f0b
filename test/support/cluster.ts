// Several daemon instances sharing real PostgreSQL databases (control plane + regions) and one Redis
// key prefix: what production looks like, in one test process.
import type { Test } from 'tap';
import type { Region } from '../../src/config/index.js';
import { createDatabase, redisPrefix, REDIS_URL } from './services.js';
import { secret } from './config.js';
import { startTestApp } from './app.js';
import type { Feature } from '../../src/feature.js';

export async function clusterConfig(t: Test, regions: Region[] = ['NOAM', 'EURO']) {
  const control = await createDatabase(t, 'control');
  const dbs: Partial<
    Record<
      Region,
      {
        url: ReturnType<typeof secret>;
        poolSize: number;
        connectTimeoutMs: number;
        statementTimeoutMs: number;
      }
    >
  > = {};
  const db = (url: string) => ({
    url: secret(url),
    poolSize: 4,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 10_000,
  });
  for (const r of regions) dbs[r] = db((await createDatabase(t, r)).url);
  const prefix = await redisPrefix(t);
  return {
    databases: { control: db(control.url), regions: dbs },
    redis: { url: secret(REDIS_URL), keyPrefix: prefix },
    crypto: { urlSigningKey: secret(Buffer.alloc(32, 9).toString('base64')) },
  };
}

/** Starts `n` instances on one shared configuration; the first one seeds nothing. */
export async function startCluster(
  t: Test,
  n: number,
  opts: { regions?: Region[]; features?: Feature[]; overrides?: object } = {},
) {
  const shared = await clusterConfig(t, opts.regions);
  const apps = [];
  for (let i = 0; i < n; i++) {
    apps.push(
      await startTestApp(
        t,
        { ...shared, ...(opts.overrides ?? {}), instance: { id: `instance-${i + 1}` } } as never,
        opts.features ? { features: opts.features } : {},
      ),
    );
  }
  return apps;
}
