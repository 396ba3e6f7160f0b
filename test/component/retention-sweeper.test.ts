// The retention sweeper on real PostgreSQL with a controllable clock: expired content goes (object
// and row) and the rest stays; a crash between object and row deletion is finished by the next run;
// two sweepers on real Redis never sweep one region at once; partitions are created ahead, and old
// ones dropped, exported first where a country demands longer.
import t from 'tap';
import type { Test } from 'tap';
import pino from 'pino';
import { Registry } from 'prom-client';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema, type Config } from '../../src/config/index.js';
import { Envelope, FileKeyProvider } from '../../src/crypto/index.js';
import { FsObjectStore } from '../../src/objects/index.js';
import { MemoryState, RedisState, type SharedState } from '../../src/state/index.js';
import { RetentionSweeper, type SweeperDeps } from '../../src/retention/sweeper.js';
import { listPartitions } from '../../src/retention/records.sweep.js';
import { readColdExport } from '../../src/retention/cold-export.js';
import { partitionName } from '../../src/store/partitions.js';
import { coldExportContext } from '../../src/content/content-refs.js';
import { ENGINES, openTestStores, type Engine } from '../support/stores.js';
import { tempDir } from '../support/config.js';
import { REDIS_URL, redisPrefix } from '../support/services.js';
import { addCustomer } from '../support/records.js';
import { addMessageContent, addRecording } from '../support/content.js';

const DAY = 86_400_000;
const retention = (over: Partial<Config['retention']> = {}) =>
  ({
    ...(Value.Default(ConfigSchema, {}) as Config).retention,
    batchSize: 3,
    ...over,
  }) as Config['retention'];

async function setup(t: Test, over: Partial<Config['retention']> = {}, engine: Engine = 'postgres') {
  const stores = await openTestStores(t, engine);
  const objects = new FsObjectStore(tempDir(t));
  const envelope = new Envelope(new FileKeyProvider(tempDir(t), true));
  const clock = { now: new Date('2026-06-15T12:00:00Z') };
  const make = (extra: Partial<SweeperDeps> = {}) =>
    new RetentionSweeper({
      router: stores.router,
      objects,
      envelope,
      state: new MemoryState('t:'),
      log: pino({ level: 'silent' }),
      metrics: new Registry(),
      config: retention(over),
      instanceId: 'a',
      now: () => clock.now,
      ...extra,
    });
  return { stores, objects, envelope, clock, make, deps: { router: stores.router, objects, envelope } };
}

const rowExists = async (
  db: { query: (s: string, p: unknown[]) => Promise<{ rowCount: number }> },
  table: string,
  col: string,
  id: string,
) => (await db.query(`SELECT 1 FROM ${table} WHERE ${col} = $1`, [id])).rowCount > 0;

for (const engine of ENGINES)
  t.test(
    `${engine}: content past its expiry is deleted, object and row; content before it is kept`,
    async (t) => {
      const { stores, objects, clock, make, deps } = await setup(t, {}, engine);
      const c = await addCustomer(stores, 'EURO');
      const db = stores.router.region('EURO');
      const now = clock.now.getTime();
      const expired = [];
      for (let i = 0; i < 7; i++)
        expired.push(await addRecording(deps, 'EURO', c, { expiresAt: new Date(now - DAY - i) }));
      const kept = await addRecording(deps, 'EURO', c, { expiresAt: new Date(now + 60_000) });
      const oldMsg = await addMessageContent(deps, 'EURO', c, {
        expiresAt: new Date(now - 1),
        media: [Buffer.from('png1'), Buffer.from('png2')],
      });
      const newMsg = await addMessageContent(deps, 'EURO', c, {
        expiresAt: new Date(now + 1),
        media: [Buffer.from('png3')],
      });

      const sweeper = make();
      const outcome = (await sweeper.runOnce()).find((x) => x.regions.includes('EURO'));
      t.match(outcome, { result: 'ok', deleted: { recording: 7, message_content: 1 } });
      for (const r of expired) {
        t.notOk(await objects.exists('EURO', r.key), 'expired object gone');
        t.notOk(await rowExists(db, 'recordings', 'id', r.id), 'expired row gone');
      }
      t.ok(await objects.exists('EURO', kept.key), 'unexpired object kept');
      t.ok(await rowExists(db, 'recordings', 'id', kept.id), 'unexpired row kept');
      for (const m of oldMsg.media) t.notOk(await objects.exists('EURO', m.key), 'expired media gone');
      t.notOk(await rowExists(db, 'message_content', 'message_id', oldMsg.messageId));
      t.ok(await objects.exists('EURO', newMsg.media[0]!.key));
      t.ok(await rowExists(db, 'message_content', 'message_id', newMsg.messageId));

      clock.now = new Date(now + 2 * 60_000);
      await sweeper.runOnce();
      t.notOk(await rowExists(db, 'recordings', 'id', kept.id), 'deleted once its time comes');
      const metrics = await (sweeper as unknown as { deps: SweeperDeps }).deps.metrics.metrics();
      t.match(metrics, /retention_deleted_total\{kind="recording"\} 8/);
      t.match(metrics, /retention_oldest_overdue_seconds\{kind="recording"\} 0/);
    },
  );

t.test(
  'a crash between object and row deletion leaves nothing half-deleted after the next run',
  async (t) => {
    const { stores, objects, clock, make, deps } = await setup(t);
    const c = await addCustomer(stores, 'NOAM');
    const db = stores.router.region('NOAM');
    const items = [];
    for (let i = 0; i < 5; i++)
      items.push(await addRecording(deps, 'NOAM', c, { expiresAt: new Date(clock.now.getTime() - 1000) }));
    let crash = true;
    const crashing = make({
      hooks: {
        beforeRowsFinished: () => {
          if (crash) throw new Error('injected crash after the objects were deleted');
        },
      },
    });
    const failed = (await crashing.runOnce()).find((x) => x.regions.includes('NOAM'));
    t.equal(failed?.result, 'error');
    const { rows } = await db.query<{ id: string; deleted_at: Date | null; deleted_reason: string }>(
      'SELECT id, deleted_at, deleted_reason FROM recordings WHERE customer_id = $1',
      [c],
    );
    t.equal(rows.length, 5, 'rows are still there after the crash');
    const gone = await Promise.all(items.map(async (r) => !(await objects.exists('NOAM', r.key))));
    const deletedObjects = items.filter((_, i) => gone[i]);
    t.ok(deletedObjects.length > 0, 'the crash came after some objects were deleted');
    for (const r of rows.filter((r) => deletedObjects.some((d) => d.id === r.id)))
      t.ok(
        r.deleted_at && r.deleted_reason === 'expired',
        'a row whose object is gone is already marked deleted',
      );

    crash = false;
    const ok = (await make().runOnce()).find((x) => x.regions.includes('NOAM'));
    t.equal(ok?.result, 'ok');
    t.equal(
      (await db.query('SELECT 1 FROM recordings WHERE customer_id = $1', [c])).rowCount,
      0,
      'every row gone',
    );
    for (const r of items) t.notOk(await objects.exists('NOAM', r.key), 'every object gone');
  },
);

t.test('two sweepers on real Redis never sweep the same region at once', async (t) => {
  const { stores, clock, make, deps } = await setup(t);
  const c = await addCustomer(stores, 'EURO');
  for (let i = 0; i < 4; i++)
    await addRecording(deps, 'EURO', c, { expiresAt: new Date(clock.now.getTime() - 1000) });
  const prefix = await redisPrefix(t);
  const redis = async (): Promise<SharedState> => {
    const s = new RedisState({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 2000 });
    await s.connect();
    t.teardown(() => s.close());
    return s;
  };
  // a stops inside its first region (NOAM's database) until released; b runs meanwhile.
  const aHolds = new Set<string>();
  const bEntered: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let signalLocked!: () => void;
  const locked = new Promise<void>((r) => (signalLocked = r));
  let aFirst = true;
  const a = make({
    state: await redis(),
    instanceId: 'instance-a',
    hooks: {
      onLocked: async (regions) => {
        if (!aFirst) return;
        aFirst = false;
        regions.forEach((r) => aHolds.add(r));
        signalLocked();
        await held;
        regions.forEach((r) => aHolds.delete(r));
      },
    },
  });
  const b = make({
    state: await redis(),
    instanceId: 'instance-b',
    hooks: { onLocked: (regions) => void bEntered.push(...regions.filter((r) => aHolds.has(r))) },
  });
  const aRun = a.runOnce();
  await locked;
  const held1 = [...aHolds];
  const during = await b.runOnce();
  t.ok(held1.length > 0, 'a holds a region');
  for (const o of during) {
    if (o.regions.some((r) => held1.includes(r)))
      t.equal(o.result, 'skipped', `b skips ${o.regions.join('+')} while a sweeps it`);
    else t.equal(o.result, 'ok', `b sweeps ${o.regions.join('+')}, which a does not hold`);
  }
  t.same(bEntered, [], 'b never entered a region a was sweeping');
  release();
  const aOutcomes = await aRun;
  t.equal(aOutcomes[0]?.result, 'ok', 'a finishes its region');
  const after = await b.runOnce();
  t.ok(
    after.every((o) => o.result === 'ok'),
    'b sweeps every region once a released its lock',
  );
  t.equal(
    (await stores.router.region('EURO').query('SELECT 1 FROM recordings WHERE customer_id = $1', [c]))
      .rowCount,
    0,
  );
});

for (const engine of ENGINES)
  t.test(
    `${engine}: partitions are created ahead and old ones dropped; exported first where a country keeps longer`,
    async (t) => {
      const { stores, objects, envelope, clock, make, deps } = await setup(
        t,
        {
          partitionsAheadMonths: 2,
          records: { onlineMonths: 12, countries: [{ country: 'DE', months: 24 }] },
        },
        engine,
      );
      const db = stores.router.region('EURO');
      const c = await addCustomer(stores, 'EURO');
      const other = await addCustomer(stores, 'NOAM');
      const old = new Date('2025-03-10T08:00:00Z');
      // A CDR written long ago lands in the DEFAULT partition (no partition existed for its month).
      const insert = (id: string, cust: string, direction: string, calling: string, called: string) =>
        db.query(
          `INSERT INTO cdrs (id, customer_id, started_at, direction, calling, called, disposition)
       VALUES ($1, $2, $3, $4, $5, $6, 'answered')`,
          [id, cust, old, direction, calling, called],
        );
      const ids = {
        deIn: 'a0000000-0000-4000-8000-000000000001',
        deOut: 'a0000000-0000-4000-8000-000000000002',
        gbIn: 'a0000000-0000-4000-8000-000000000003',
        deNoam: 'a0000000-0000-4000-8000-000000000004',
      };
      await insert(ids.deIn, c, 'inbound', '+14155550100', '+4930901820');
      await insert(ids.deOut, c, 'outbound', '+4930901821', '+447700900123');
      await insert(ids.gbIn, c, 'inbound', '+4930901822', '+442071838750');
      await stores.router.region('NOAM').query(
        `INSERT INTO cdrs (id, customer_id, started_at, direction, calling, called, disposition)
     VALUES ($1, $2, $3, 'inbound', '+14155550100', '+4930901823', 'answered')`,
        [ids.deNoam, other, old],
      );
      clock.now = new Date('2026-06-15T12:00:00Z');
      const sweeper = make();
      const euro = (await sweeper.runOnce()).find((x) => x.regions.includes('EURO'));
      if (euro?.result !== 'ok') throw new Error(`sweep failed: ${JSON.stringify(euro)}`);
      const names = (await listPartitions(db)).map((p) => partitionName(p.table, p.month));
      for (const m of ['2026_06', '2026_07', '2026_08']) {
        t.ok(names.includes(`cdrs_${m}`), `cdrs_${m} created ahead`);
        t.ok(names.includes(`mdrs_${m}`), `mdrs_${m} created ahead`);
      }
      t.notOk(names.includes('cdrs_2025_03'), 'the old month is dropped');
      t.ok(euro.records.dropped.includes('cdrs_2025_03'));
      t.equal(
        (await db.query('SELECT 1 FROM cdrs WHERE started_at = $1', [old])).rowCount,
        0,
        'no old row online',
      );

      const exp = await db.query<{
        object_key: string;
        row_count: number;
        countries: string[];
        keep_until: Date;
      }>(
        "SELECT object_key, row_count, countries, keep_until FROM cold_exports WHERE table_name = 'cdrs' AND region = 'EURO'",
      );
      t.equal(exp.rowCount, 1, 'the export is recorded');
      t.same(exp.rows[0]?.countries, ['DE']);
      t.equal(exp.rows[0]?.keep_until.toISOString(), '2027-04-01T00:00:00.000Z');
      const rows = await readColdExport(
        deps,
        'EURO',
        exp.rows[0]!.object_key,
        coldExportContext('cdrs', '2025-03', 'EURO'),
      );
      t.same(
        rows.map((r) => r.id).sort(),
        [ids.deIn, ids.deOut],
        'complete: every DE row of the region, nothing else',
      );
      t.equal(exp.rows[0]?.row_count, 2);
      t.match(
        rows.find((r) => r.id === ids.deIn),
        { customer_id: c, called: '+4930901820', country: 'DE' },
      );
      const raw = await objects.get('EURO', exp.rows[0]!.object_key);
      t.equal(raw.indexOf(Buffer.from('+4930901820')), -1, 'stored encrypted');
      t.equal(envelope.keyOf(raw).ring, 'EURO', "under the region's key");
      const noam = await stores.router
        .region('NOAM')
        .query<{ object_key: string }>("SELECT object_key FROM cold_exports WHERE region = 'NOAM'");
      t.equal(noam.rowCount, 1, "the NOAM customer's rows have their own export");
      const noamRows = await readColdExport(
        deps,
        'NOAM',
        noam.rows[0]!.object_key,
        coldExportContext('cdrs', '2025-03', 'NOAM'),
      );
      t.same(
        noamRows.map((r) => r.id),
        [ids.deNoam],
        "the NOAM customer's row went to NOAM's store, and only it",
      );

      clock.now = new Date('2027-04-01T00:00:00Z');
      await sweeper.runOnce();
      t.notOk(
        await objects.exists('EURO', exp.rows[0]!.object_key),
        'cold export deleted when its period ends',
      );
      t.equal((await db.query("SELECT 1 FROM cold_exports WHERE region = 'EURO'")).rowCount, 0);
    },
  );

t.test('SIP traces and audit records expire after their days', async (t) => {
  const { stores, clock, make } = await setup(t, { auditLogDays: 90 });
  const db = stores.router.region('EURO');
  const c = await addCustomer(stores, 'EURO');
  const now = clock.now.getTime();
  const trace = (id: string, created: number, expires: number) =>
    db.query(
      'INSERT INTO sip_traces (call_id, customer_id, created_at, expires_at, messages) VALUES ($1, $2, $3, $4, $5)',
      [id, c, new Date(created), new Date(expires), '[]'],
    );
  await trace('b0000000-0000-4000-8000-000000000001', now - 31 * DAY, now - DAY);
  await trace('b0000000-0000-4000-8000-000000000002', now - 10 * DAY, now + 20 * DAY);
  await trace('b0000000-0000-4000-8000-000000000003', now - 91 * DAY, now + 20 * DAY);
  await db.query(
    "INSERT INTO audit_log (at, customer_id, actor, action, resource) VALUES ($1, $2, 'x', 'old', 'r'), ($3, $2, 'x', 'new', 'r')",
    [new Date(now - 91 * DAY), c, new Date(now - DAY)],
  );
  const o = (await make().runOnce()).find((x) => x.regions.includes('EURO'));
  t.match(o, { result: 'ok', records: { sipTraces: 2, auditRecords: 1 } });
  const left = await db.query<{ call_id: string }>('SELECT call_id FROM sip_traces');
  t.same(
    left.rows.map((r) => r.call_id),
    ['b0000000-0000-4000-8000-000000000002'],
    'the one within its days stays',
  );
  const audit = await db.query<{ action: string }>('SELECT action FROM audit_log WHERE customer_id = $1', [
    c,
  ]);
  t.same(
    audit.rows.map((r) => r.action),
    ['new'],
  );
});
