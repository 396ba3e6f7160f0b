// Content at rest: encryption throughput on one core (raw AES-256-GCM as the baseline, in the same
// run) and the retention sweeper's deletion rate against the filesystem store on real PostgreSQL.
// Targets (issue 7): encryption >= 200 MB/s; sweeper >= 5,000 items/s.
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import pg from 'pg';
import { Registry } from 'prom-client';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema, Secret, type Config } from '../src/config/index.js';
import { Envelope, FileKeyProvider } from '../src/crypto/index.js';
import { FsObjectStore } from '../src/objects/index.js';
import { MemoryState } from '../src/state/index.js';
import { openStores } from '../src/store/stores.js';
import { RetentionSweeper } from '../src/retention/sweeper.js';
import { recordingContext, recordingKey } from '../src/content/content-refs.js';
import { writeSection, table } from './support/results.js';

const MB = 1024 * 1024;
const TOTAL = 256 * MB;
const log = pino({ level: 'silent' });

function mbps(bytes: number, ms: number): string {
  return (bytes / MB / (ms / 1000)).toFixed(0);
}

async function timeIt(fn: () => Promise<void> | void): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function encryption(): Promise<(string | number)[][]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-keys-'));
  const env = new Envelope(new FileKeyProvider(dir, true));
  const piece = randomBytes(MB);
  const key = randomBytes(32);
  const rows: (string | number)[][] = [['what', 'object size', 'MB/s (one core)']];

  // Baseline: one AES-256-GCM stream over the same bytes, no envelope work at all (after a warm-up,
  // as the envelope figures below run warm too).
  const warm = createCipheriv('aes-256-gcm', key, randomBytes(12));
  for (let done = 0; done < 32 * MB; done += MB) warm.update(piece);
  const raw = await timeIt(() => {
    const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
    for (let done = 0; done < TOTAL; done += MB) c.update(piece);
    c.final();
  });
  rows.push(['raw AES-256-GCM (baseline)', '256 MiB stream', mbps(TOTAL, raw)]);

  await env.seal('EURO', piece, 'warm-up');
  let sealed: Buffer = Buffer.alloc(0);
  const oneShot = await timeIt(async () => {
    for (let done = 0; done < TOTAL; done += MB) sealed = await env.seal('EURO', piece, `b:${done}`);
  });
  rows.push(['envelope seal (RCE1, key per object)', '1 MiB', mbps(TOTAL, oneShot)]);
  const open = await timeIt(async () => {
    for (let done = 0; done < TOTAL; done += MB) await env.open(sealed, `b:${TOTAL - MB}`);
  });
  rows.push(['envelope open (RCE1)', '1 MiB', mbps(TOTAL, open)]);

  const small = randomBytes(160);
  const n = 20_000;
  const smallMs = await timeIt(async () => {
    for (let i = 0; i < n; i++) await env.seal('EURO', small, `m:${i}`);
  });
  rows.push([
    'envelope seal of message bodies',
    '160 B',
    `${mbps(n * 160, smallMs)} (${Math.round(n / (smallMs / 1000))} bodies/s)`,
  ]);

  const streamed = await timeIt(async () => {
    const src = Readable.from(
      (function* () {
        for (let done = 0; done < TOTAL; done += MB) yield piece;
      })(),
    );
    await pipeline(src, await env.sealStream('EURO', 'recording:bench'), async (s: AsyncIterable<Buffer>) => {
      for await (const chunk of s) sealed = chunk;
    });
  });
  rows.push(['envelope sealStream (RCS1, 64 KiB chunks)', '256 MiB recording', mbps(TOTAL, streamed)]);
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

async function sweeper(items: number): Promise<(string | number)[][]> {
  const name = `rc_bench_content_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-objects-'));
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const base = Value.Default(ConfigSchema, {}) as Config;
  const db = {
    url: new Secret(url, 'bench'),
    poolSize: 8,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 120_000,
  };
  const config = { ...base, databases: { control: db, regions: { EURO: db } } } as Config;
  const stores = await openStores({ config, log });
  try {
    const region = 'EURO' as const;
    const customer = randomUUID();
    await stores.control.query('INSERT INTO customer_directory (customer_id, region) VALUES ($1, $2)', [
      customer,
      region,
    ]);
    stores.router.rememberCustomer(customer, region);
    const objects = new FsObjectStore(dataDir);
    const env = new Envelope(new FileKeyProvider(path.join(dataDir, 'keys'), true));
    // Setup (not measured): one small sealed object per recording, written directly as files.
    const ids = Array.from({ length: items }, () => randomUUID());
    const sealed = await env.seal(region, randomBytes(2000), recordingContext('x'));
    mkdirSync(path.join(dataDir, region, 'recordings', customer), { recursive: true });
    for (const id of ids) writeFileSync(path.join(dataDir, region, recordingKey(customer, id)), sealed);
    const now = new Date();
    await stores.router.region(region).query(
      `INSERT INTO recordings (id, customer_id, call_id, number, started_at, object_key, expires_at)
       SELECT id, $1::uuid, id, '+4930901820', $2, 'recordings/' || $1::text || '/' || id::text || '.rce', $2 FROM unnest($3::uuid[]) AS id`,
      [customer, new Date(now.getTime() - 1000), ids],
    );
    const retention = { ...base.retention, batchSize: 2000, deleteConcurrency: 64 };
    const sweep = new RetentionSweeper({
      router: stores.router,
      objects,
      envelope: env,
      state: new MemoryState('b:'),
      log,
      metrics: new Registry(),
      config: retention,
      instanceId: 'bench',
      now: () => now,
    });
    let deleted = 0;
    const ms = await timeIt(async () => {
      const [out] = await sweep.runOnce();
      if (out?.result !== 'ok') throw new Error(`sweep failed: ${JSON.stringify(out)}`);
      deleted = out.deleted.recording;
    });
    if (deleted !== items) throw new Error(`deleted ${deleted} of ${items}`);
    return [
      ['what', 'items', 'seconds', 'items/s'],
      [
        `sweeper: mark, unlink (64 in flight), delete rows; batches of ${retention.batchSize}`,
        items,
        (ms / 1000).toFixed(2),
        Math.round(items / (ms / 1000)),
      ],
    ];
  } finally {
    await stores.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const enc = await encryption();
console.log(table(enc));
const sw = await sweeper(Number(process.env.BENCH_SWEEP_ITEMS ?? 50_000));
console.log(table(sw));
writeSection(
  'content',
  'make bench BENCH=content',
  `Encryption on one core (targets: >= 200 MB/s), the raw cipher measured in the same run as the baseline:\n\n${table(enc)}\n\n` +
    `Retention sweeper against the filesystem store and PostgreSQL 15 on this machine (target: >= 5,000 items/s), objects of 2 KB:\n\n${table(sw)}\n`,
);
