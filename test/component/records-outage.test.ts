// Outage tests: a TCP proxy sits between the writer and PostgreSQL and is cut while records are
// being written, then restored. Every accepted record must end up in the database exactly once.
import t from 'tap';
import { Registry } from 'prom-client';
import pino from 'pino';
import { openStores } from '../../src/store/stores.js';
import { RecordsWriter, CDR, MDR, type Cdr } from '../../src/records/index.js';
import { createDatabase, pgUrl, PG_HOST, PG_PORT } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { secret, testConfig, tempDir } from '../support/config.js';
import { addCustomer, makeCdr } from '../support/records.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

async function setup(t: Parameters<typeof tempDir>[0]) {
  const proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
  t.teardown(() => proxy.close());
  const control = await createDatabase(t, 'control');
  const euro = await createDatabase(t, 'euro');
  const db = (url: string) => ({
    url: secret(url),
    poolSize: 4,
    connectTimeoutMs: 1000,
    statementTimeoutMs: 5000,
  });
  const config = testConfig(t, {
    databases: { control: db(control.url), regions: { EURO: db(pgUrl(euro.name, proxy.port)) } },
  });
  const stores = await openStores({ config, log });
  t.teardown(() => stores.close());
  return { proxy, stores, spoolDir: tempDir(t, 'spool') };
}

function newWriter(
  stores: Awaited<ReturnType<typeof setup>>['stores'],
  spoolDir: string,
  metrics = new Registry(),
) {
  return new RecordsWriter({
    router: stores.router,
    kinds: [CDR, MDR],
    spoolDir,
    batchMaxRows: 100,
    flushIntervalMs: 10,
    maxConcurrentFlushes: 2,
    replayIntervalMs: 100,
    log,
    metrics,
  });
}

async function countRows(stores: Awaited<ReturnType<typeof setup>>['stores'], customer: string) {
  const { rows } = await stores.router
    .region('EURO')
    .query<{ n: number; d: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM cdrs WHERE customer_id = $1',
      [customer],
    );
  return rows[0]!;
}

async function spooledTotal(metrics: Registry): Promise<number> {
  const m = await metrics.getSingleMetric('records_spooled_total')?.get();
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

t.test('database cut mid-stream, then restored: every record present exactly once', async (t) => {
  const { proxy, stores, spoolDir } = await setup(t);
  const customer = await addCustomer(stores, 'EURO');
  const metrics = new Registry();
  const writer = newWriter(stores, spoolDir, metrics);
  t.teardown(() => writer.close());

  const all: Cdr[] = [];
  const accepted: Promise<void>[] = [];
  for (let wave = 0; wave < 30; wave++) {
    if (wave === 10) proxy.cut();
    if (wave === 20) proxy.restore();
    const cdrs = Array.from({ length: 100 }, () => makeCdr(customer));
    all.push(...cdrs);
    accepted.push(...cdrs.map((c) => writer.write(CDR, c)));
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(accepted);
  t.ok((await spooledTotal(metrics)) > 0, 'the outage sent rows to the spool');

  await waitFor(async () => (await countRows(stores, customer)).n === all.length, {
    timeoutMs: 30_000,
    message: 'spool replayed',
  });
  const { n, d } = await countRows(stores, customer);
  t.equal(n, 3000, 'every record present');
  t.equal(d, 3000, 'none twice');
  await waitFor(() => writer.stats().regionsDown.length === 0, { message: 'region marked up' });
});

t.test(
  'records spooled by a process that exits during the outage are replayed by the next one',
  async (t) => {
    const { proxy, stores, spoolDir } = await setup(t);
    const customer = await addCustomer(stores, 'EURO');
    proxy.cut();
    const first = newWriter(stores, spoolDir);
    const cdrs = Array.from({ length: 250 }, () => makeCdr(customer));
    await Promise.all(cdrs.map((c) => first.write(CDR, c)));
    await first.close(); // exits with the database still unreachable: the rows stay in the spool

    proxy.restore();
    const second = newWriter(stores, spoolDir);
    t.teardown(() => second.close());
    await second.start();
    await waitFor(async () => (await countRows(stores, customer)).n === 250, {
      timeoutMs: 30_000,
      message: 'replay at start',
    });
    t.same(await countRows(stores, customer), { n: 250, d: 250 });
  },
);
