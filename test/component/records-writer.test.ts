// The records writer on both engines: batching, idempotency, forward-only MDR status, bad rows
// isolated and dead-lettered, and a customer's records landing only in the customer's region.
import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { ENGINES, openTestStores, silentLog, type TestStores } from '../support/stores.js';
import { tempDir } from '../support/config.js';
import { addCustomer, makeCdr, makeMdr } from '../support/records.js';
import { RecordsWriter, CDR, MDR, type Cell } from '../../src/records/index.js';
import type { Queryable } from '../../src/store/db.js';

function writerFor(t: Parameters<typeof tempDir>[0], stores: TestStores, spoolDir = tempDir(t, 'spool')) {
  const writer = new RecordsWriter({
    router: stores.router,
    kinds: [CDR, MDR],
    spoolDir,
    batchMaxRows: 200,
    flushIntervalMs: 10,
    maxConcurrentFlushes: 2,
    replayIntervalMs: 100,
    log: silentLog,
    metrics: new Registry(),
  });
  t.teardown(() => writer.close());
  return { writer, spoolDir };
}

for (const engine of ENGINES) {
  t.test(`${engine}: 1,000 CDRs written in batches, each exactly once`, async (t) => {
    const stores = await openTestStores(t, engine);
    const { writer } = writerFor(t, stores);
    const customer = await addCustomer(stores, 'EURO');
    const cdrs = Array.from({ length: 1000 }, () => makeCdr(customer));
    await Promise.all(cdrs.map((c) => writer.write(CDR, c)));
    const { rows } = await stores.router
      .region('EURO')
      .query<{ n: number }>('SELECT count(*)::int AS n FROM cdrs WHERE customer_id = $1', [customer]);
    t.equal(rows[0]!.n, 1000);
  });

  t.test(`${engine}: writing the same CDR twice leaves one row`, async (t) => {
    const stores = await openTestStores(t, engine);
    const { writer } = writerFor(t, stores);
    const customer = await addCustomer(stores, 'NOAM');
    const cdr = makeCdr(customer);
    await writer.write(CDR, cdr);
    await writer.write(CDR, { ...cdr });
    const { rows } = await stores.router
      .region('NOAM')
      .query('SELECT attempts, route FROM cdrs WHERE id = $1', [cdr.id]);
    t.equal(rows.length, 1);
    t.same(rows[0], { attempts: cdr.attempts, route: cdr.route }, 'json columns round-trip');
  });

  t.test(`${engine}: an MDR's status never moves back`, async (t) => {
    const stores = await openTestStores(t, engine);
    const { writer } = writerFor(t, stores);
    const customer = await addCustomer(stores, 'EURO');
    const mdr = makeMdr(customer);
    await writer.write(MDR, { ...mdr, status: 'queued', statusVersion: 1 });
    await writer.write(MDR, { ...mdr, status: 'delivered', statusVersion: 3 });
    await writer.write(MDR, { ...mdr, status: 'sent', statusVersion: 2 }); // a late, older update
    const { rows } = await stores.router
      .region('EURO')
      .query('SELECT status, status_version FROM mdrs WHERE id = $1', [mdr.id]);
    t.same(rows, [{ status: 'delivered', status_version: 3 }]);
  });

  t.test(
    `${engine}: a row the database refuses is dead-lettered and the rest of its batch written`,
    async (t) => {
      const stores = await openTestStores(t, engine);
      const { writer, spoolDir } = writerFor(t, stores);
      const customer = await addCustomer(stores, 'EURO');
      const good = Array.from({ length: 50 }, () => makeCdr(customer));
      const bad = makeCdr(customer, { direction: 'sideways' as never }); // violates the CHECK constraint
      await Promise.all([...good.slice(0, 25), bad, ...good.slice(25)].map((c) => writer.write(CDR, c)));
      const { rows } = await stores.router
        .region('EURO')
        .query<{ n: number }>('SELECT count(*)::int AS n FROM cdrs WHERE customer_id = $1', [customer]);
      t.equal(rows[0]!.n, 50, 'every good row written');
      const dead = readFileSync(path.join(spoolDir, 'dead', 'EURO-cdr.ndjson'), 'utf8')
        .trim()
        .split('\n');
      t.equal(dead.length, 1);
      const entry = JSON.parse(dead[0]!) as { row: unknown[]; reason: string };
      t.equal(entry.row[0], bad.id, 'the bad row is kept');
      t.match(entry.reason, /check constraint/);
    },
  );

  t.test(`${engine}: a record of a customer with no region is dead-lettered, not lost`, async (t) => {
    const stores = await openTestStores(t, engine);
    const { writer, spoolDir } = writerFor(t, stores);
    await writer.write(CDR, makeCdr(randomUUID()));
    t.ok(existsSync(path.join(spoolDir, 'dead', 'unknown-cdr.ndjson')));
  });
}

t.test('residency: EURO and NOAM customers each write only to their own database', async (t) => {
  const stores = await openTestStores(t, 'postgres', { regions: ['NOAM', 'EURO'] });
  const { writer } = writerFor(t, stores);
  const euro = await addCustomer(stores, 'EURO', 'Euro GmbH');
  const noam = await addCustomer(stores, 'NOAM', 'Noam Inc');
  // A EURO customer's call that crossed a NOAM SBC still belongs to the EURO region.
  const euroCdrs = Array.from({ length: 30 }, () => makeCdr(euro, { sbc: 'nyc1-sbc1' }));
  const noamCdrs = Array.from({ length: 20 }, () => makeCdr(noam));
  const euroMdrs = Array.from({ length: 10 }, () => makeMdr(euro));
  await Promise.all([
    ...euroCdrs.map((c) => writer.write(CDR, c)),
    ...noamCdrs.map((c) => writer.write(CDR, c)),
    ...euroMdrs.map((m) => writer.write(MDR, m)),
  ]);
  const count = async (region: 'EURO' | 'NOAM', table: string, customer: string) =>
    (
      await stores.router
        .region(region)
        .query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE customer_id = $1`, [customer])
    ).rows[0]!.n;
  t.equal(await count('EURO', 'cdrs', euro), 30);
  t.equal(await count('NOAM', 'cdrs', euro), 0, 'no EURO CDR in NOAM');
  t.equal(await count('NOAM', 'cdrs', noam), 20);
  t.equal(await count('EURO', 'cdrs', noam), 0, 'no NOAM CDR in EURO');
  t.equal(await count('EURO', 'mdrs', euro), 10);
  t.equal(await count('NOAM', 'mdrs', euro), 0, 'no EURO MDR in NOAM');
  // The whole NOAM database holds no row of the EURO customer, in any table.
  const { rows } = await stores.router
    .region('NOAM')
    .query<{ n: number }>(
      'SELECT (SELECT count(*) FROM customers WHERE id = $1) + (SELECT count(*) FROM cdrs WHERE customer_id = $1) AS n',
      [euro],
    );
  t.equal(Number(rows[0]!.n), 0);
});

t.test('a kind with its own insert writes several tables in one transaction, idempotently', async (t) => {
  const stores = await openTestStores(t, 'pglite');
  const customer = await addCustomer(stores, 'EURO');
  const kind = {
    name: 'audited-cdr',
    table: 'cdrs',
    columns: CDR.columns,
    conflictKey: CDR.conflictKey,
    customerId: CDR.customerId,
    id: CDR.id,
    async insert(q: Queryable, rows: Cell[][]) {
      for (const r of rows) {
        const inserted = await q.query(
          'INSERT INTO cdrs (id, customer_id, started_at, direction, disposition) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
          [r[0], r[1], r[2], r[3], r[10]],
        );
        if (inserted.rowCount > 0) {
          await q.query(
            "INSERT INTO audit_log (customer_id, actor, action, resource, resource_id) VALUES ($1, 'test', 'cdr.written', 'cdr', $2)",
            [r[1], r[0]],
          );
        }
      }
    },
  };
  const writer = new RecordsWriter({
    router: stores.router,
    kinds: [kind],
    spoolDir: tempDir(t, 'spool'),
    batchMaxRows: 50,
    flushIntervalMs: 5,
    maxConcurrentFlushes: 1,
    replayIntervalMs: 100,
    log: silentLog,
    metrics: new Registry(),
  });
  t.teardown(() => writer.close());
  const cdr = makeCdr(customer);
  await writer.write(kind, cdr);
  await writer.write(kind, cdr);
  const db = stores.router.region('EURO');
  t.equal((await db.query('SELECT 1 FROM cdrs WHERE id = $1', [cdr.id])).rowCount, 1);
  t.equal((await db.query('SELECT 1 FROM audit_log WHERE resource_id = $1', [cdr.id])).rowCount, 1);
});
