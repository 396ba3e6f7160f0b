// The same migrations and queries on both engines: the embedded PGlite and server PostgreSQL.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { ENGINES, openTestStores, silentLog } from '../support/stores.js';
import { migrate } from '../../src/store/migrate.js';
import { ensurePartition, partitionName, monthStart, addMonths } from '../../src/store/partitions.js';

for (const engine of ENGINES) {
  t.test(`${engine}: migrations apply once and record their checksums`, async (t) => {
    const stores = await openTestStores(t, engine);
    const euro = stores.router.region('EURO');
    const again = await migrate(euro, 'region');
    t.same(again, [], 'a second run applies nothing');
    const { rows } = await euro.query<{ name: string }>(
      "SELECT name FROM schema_migrations WHERE set_name = 'region'",
    );
    t.ok(rows.some((r) => r.name === '0001_region_base.sql'));
  });

  t.test(`${engine}: a changed migration file stops the start`, async (t) => {
    const stores = await openTestStores(t, engine);
    const files = [{ name: '0001_region_base.sql', sql: 'SELECT 1', checksum: 'different' }];
    await t.rejects(
      migrate(stores.router.region('NOAM'), 'region', files),
      /was changed after it was applied/,
    );
  });

  t.test(`${engine}: rows come back with the same JS types`, async (t) => {
    const stores = await openTestStores(t, engine);
    const { rows } = await stores.control.query<{ n: number; b: Buffer; d: Date; j: { a: number } }>(
      "SELECT 42::int8 AS n, '\\x0102'::bytea AS b, now() AS d, '{\"a\":1}'::jsonb AS j",
    );
    const row = rows[0]!;
    t.equal(row.n, 42);
    t.ok(Buffer.isBuffer(row.b), 'bytea is a Buffer');
    t.ok(row.d instanceof Date);
    t.same(row.j, { a: 1 });
  });

  t.test(`${engine}: a failed transaction leaves nothing behind`, async (t) => {
    const stores = await openTestStores(t, engine);
    const id = randomUUID();
    await t.rejects(
      stores.control.tx(async (q) => {
        await q.query('INSERT INTO customer_directory (customer_id, region) VALUES ($1, $2)', [id, 'EURO']);
        throw new Error('boom');
      }),
    );
    const { rowCount } = await stores.control.query(
      'SELECT 1 FROM customer_directory WHERE customer_id = $1',
      [id],
    );
    t.equal(rowCount, 0);
  });

  t.test(
    `${engine}: monthly partitions exist around now and late rows move out of the default`,
    async (t) => {
      const stores = await openTestStores(t, engine);
      const db = stores.router.region('NOAM');
      const current = partitionName('cdrs', monthStart(new Date()));
      const { rowCount } = await db.query('SELECT 1 FROM pg_class WHERE relname = $1', [current]);
      t.equal(rowCount, 1, `${current} exists`);

      // A row far in the future lands in the default partition, then moves when its month is created.
      const future = addMonths(monthStart(new Date()), 14);
      const id = randomUUID();
      await db.query(
        `INSERT INTO cdrs (id, customer_id, started_at, direction, disposition) VALUES ($1, $2, $3, 'inbound', 'answered')`,
        [id, randomUUID(), new Date(future.getTime() + 86_400_000)],
      );
      t.equal(
        (await db.query('SELECT 1 FROM cdrs_default WHERE id = $1', [id])).rowCount,
        1,
        'in default first',
      );
      t.ok(await ensurePartition(db, 'cdrs', future), 'partition created');
      t.equal(
        (await db.query('SELECT 1 FROM cdrs_default WHERE id = $1', [id])).rowCount,
        0,
        'moved out of default',
      );
      t.equal(
        (await db.query(`SELECT 1 FROM ${partitionName('cdrs', future)} WHERE id = $1`, [id])).rowCount,
        1,
      );
      t.notOk(await ensurePartition(db, 'cdrs', future), 'second call is a no-op');
    },
  );
}

t.test('postgres: each region is its own database', async (t) => {
  const stores = await openTestStores(t, 'postgres');
  t.same(stores.router.served(), ['NOAM', 'EURO']);
  t.equal(stores.router.distinctDatabases().length, 2);
  t.throws(() => stores.router.region('APAC'), /region APAC is not served/);
  t.ok(silentLog);
});
