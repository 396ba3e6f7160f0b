// Real services for component tests: a fresh PostgreSQL database per test file (or per call) on the
// machine's server, and a Redis key prefix of its own. Missing services fail the test: under CI=true
// (and everywhere else) nothing is skipped.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { Redis } from 'ioredis';

export const PG_HOST = process.env.TEST_PG_HOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.TEST_PG_PORT ?? 5432);
export const PG_USER = process.env.TEST_PG_USER ?? 'postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const adminUrl = `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/postgres`;

export function pgUrl(database: string, port = PG_PORT, host = PG_HOST): string {
  return `postgres://${PG_USER}@${host}:${port}/${database}`;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is required at ${PG_HOST}:${PG_PORT} (user ${PG_USER}, trust auth) and is not reachable: ${(err as Error).message}`,
    );
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates an empty database named after the test, dropped when the test ends. */
export async function createDatabase(t: Test, label = 'db'): Promise<{ name: string; url: string }> {
  const name = `rc_test_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  t.teardown(() =>
    admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  );
  return { name, url: pgUrl(name) };
}

/** A key prefix no other test uses; every key under it is deleted when the test ends. */
export async function redisPrefix(t: Test): Promise<string> {
  const prefix = `rc-test:${randomBytes(6).toString('hex')}:`;
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    probe.disconnect();
    throw new Error(`Redis is required at ${REDIS_URL} and is not reachable: ${(err as Error).message}`);
  }
  t.teardown(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await probe.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await probe.del(...keys);
    } while (cursor !== '0');
    probe.disconnect();
  });
  return prefix;
}
