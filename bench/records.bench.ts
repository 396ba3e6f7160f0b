// Records pipeline throughput and latency, on server PostgreSQL and on the embedded PGlite.
//
//   throughput: enqueue N CDRs as fast as possible; rows/s until every write() has resolved (durable)
//   latency:    enqueue at a steady 2,000 rows/s for 10 s; enqueue-to-durable p50/p99/max
//   baseline:   the naive way (one INSERT per CDR, 8 in parallel), measured in the same run
//
// Targets (issue 3): >= 20,000 CDR rows/s into local PostgreSQL; p99 < 250 ms at 2,000 rows/s.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema, Secret, type Config } from '../src/config/index.js';
import { openStores, type Stores } from '../src/store/stores.js';
import { RecordsWriter, CDR, MDR, type Cdr } from '../src/records/index.js';
import { addCustomer, makeCdr } from '../test/support/records.js';
import { writeSection, table, percentile } from './support/results.js';

const log = pino({ level: 'silent' });
const PG = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const N = Number(process.env.BENCH_ROWS ?? 100_000);

interface Env {
  stores: Stores;
  spool: string;
  cleanup(): Promise<void>;
}

function baseConfig(dataDir: string, databases: Config['databases'] | undefined): Config {
  return Value.Default(ConfigSchema, {
    instance: { id: 'bench' },
    embedded: { dataDir, seedDemo: false },
    ...(databases ? { databases } : {}),
  }) as Config;
}

async function postgresEnv(): Promise<Env> {
  const admin = new pg.Client({ connectionString: `${PG}/postgres` });
  await admin.connect();
  const names = ['control', 'noam'].map((n) => `rc_bench_${n}_${randomBytes(3).toString('hex')}`);
  for (const n of names) await admin.query(`CREATE DATABASE ${n}`);
  const db = (name: string) => ({
    url: new Secret(`${PG}/${name}`, 'bench'),
    poolSize: 8,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 60_000,
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rc-bench-'));
  const stores = await openStores({
    config: baseConfig(dir, { control: db(names[0]!), regions: { NOAM: db(names[1]!) } }),
    log,
  });
  return {
    stores,
    spool: path.join(dir, 'spool'),
    async cleanup() {
      await stores.close();
      for (const n of names) await admin.query(`DROP DATABASE ${n} WITH (FORCE)`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pgliteEnv(): Promise<Env> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rc-bench-'));
  const stores = await openStores({ config: baseConfig(dir, undefined), log });
  return {
    stores,
    spool: path.join(dir, 'spool'),
    async cleanup() {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function writer(env: Env): RecordsWriter {
  return new RecordsWriter({
    router: env.stores.router,
    kinds: [CDR, MDR],
    spoolDir: env.spool,
    batchMaxRows: 1000,
    flushIntervalMs: 25,
    maxConcurrentFlushes: 2,
    replayIntervalMs: 1000,
    log,
    metrics: new Registry(),
  });
}

async function throughput(env: Env, customer: string, n: number): Promise<number> {
  const w = writer(env);
  const cdrs: Cdr[] = Array.from({ length: n }, () => makeCdr(customer));
  const started = performance.now();
  await Promise.all(cdrs.map((c) => w.write(CDR, c)));
  const secs = (performance.now() - started) / 1000;
  await w.close();
  return n / secs;
}

async function naiveThroughput(env: Env, customer: string, n: number): Promise<number> {
  const db = env.stores.router.region('NOAM');
  const cols = CDR.columns;
  const sql = `INSERT INTO cdrs (${cols.map((c) => c.name).join(', ')}) VALUES (${cols.map((c, i) => `$${i + 1}::${c.type}`).join(', ')}) ON CONFLICT DO NOTHING`;
  const cdrs = Array.from({ length: n }, () => makeCdr(customer));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < cdrs.length) {
        const c = cdrs[next++] as Cdr;
        await db.query(
          sql,
          cols.map((col) => {
            const v = col.value(c);
            return col.type === 'jsonb' && v != null ? JSON.stringify(v) : v;
          }),
        );
      }
    }),
  );
  return n / ((performance.now() - started) / 1000);
}

async function latencyAt(env: Env, customer: string, rate: number, seconds: number) {
  const w = writer(env);
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const tickMs = 10;
  const perTick = (rate * tickMs) / 1000;
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / tickMs + 1) * perTick);
    while (sent < due) {
      const t0 = performance.now();
      pending.push(w.write(CDR, makeCdr(customer)).then(() => void latencies.push(performance.now() - t0)));
      sent++;
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(pending);
  await w.close();
  latencies.sort((a, b) => a - b);
  return {
    sent,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function measure(name: string, open: () => Promise<Env>, n: number) {
  const env = await open();
  try {
    const customer = await addCustomer(env.stores, 'NOAM');
    await throughput(env, customer, 5000); // warm-up
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await throughput(env, customer, n));
    const naive = await naiveThroughput(env, customer, Math.min(n, 20_000));
    const lat = await latencyAt(env, customer, 2000, 10);
    console.log(
      `${name}: batched ${runs.map(fmt).join(' / ')} rows/s (median ${fmt(median(runs))}); naive ${fmt(naive)} rows/s; at 2,000 rows/s p50 ${lat.p50.toFixed(1)} ms p99 ${lat.p99.toFixed(1)} ms max ${lat.max.toFixed(1)} ms`,
    );
    return { name, runs, naive, lat };
  } finally {
    await env.cleanup();
  }
}

const results = [
  await measure('PostgreSQL 15 (local server)', postgresEnv, N),
  await measure('PGlite (embedded, on disk)', pgliteEnv, Math.min(N, 50_000)),
];
writeSection(
  'records',
  'make bench BENCH=records',
  [
    `Records writer (batched multi-row \`INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING\`, 1,000 rows per batch, 2 batches in flight) against the naive baseline (one INSERT per CDR, 8 connections in parallel), measured in the same run. ${RUNS} runs of ${fmt(N)} CDRs (PGlite: ${fmt(Math.min(N, 50_000))}); the latency run enqueues at 2,000 rows/s for 10 s and times each write() until it resolves (row durable in the database).`,
    '',
    table([
      [
        'database',
        'batched rows/s (runs)',
        'median rows/s',
        'naive rows/s',
        'speed-up',
        'p50 ms @2k/s',
        'p99 ms @2k/s',
        'max ms @2k/s',
      ],
      ...results.map((r) => [
        r.name,
        r.runs.map(fmt).join(' / '),
        fmt(median(r.runs)),
        fmt(r.naive),
        `${(median(r.runs) / r.naive).toFixed(1)}×`,
        r.lat.p50.toFixed(1),
        r.lat.p99.toFixed(1),
        r.lat.max.toFixed(1),
      ]),
    ]),
    '',
    'Targets: ≥ 20,000 CDR rows/s into local PostgreSQL; p99 enqueue-to-durable < 250 ms at 2,000 rows/s.',
  ].join('\n'),
);
