// The customer's content controls through the API, on real PostgreSQL (two regions): delete,
// download and signed links, the export (all of a customer's records and content and nothing of any
// other customer), the content erase, and retention applied to existing content.
import t from 'tap';
import type { Test } from 'tap';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { startTestApp, call } from '../support/app.js';
import { createDatabase } from '../support/services.js';
import { secret } from '../support/config.js';
import { addMessageContent, addRecording } from '../support/content.js';
import { makeCdr, makeMdr } from '../support/records.js';
import type { App } from '../../src/app.js';
import { CDR, MDR } from '../../src/records/index.js';

async function start(t: Test) {
  const db = async (label: string) => ({
    url: secret((await createDatabase(t, label)).url),
    poolSize: 4,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 10_000,
  });
  const app = await startTestApp(
    t,
    {
      databases: {
        control: await db('control'),
        regions: { NOAM: await db('noam'), EURO: await db('euro') },
      },
      crypto: { urlSigningKey: secret(Buffer.alloc(32, 5).toString('base64')) },
      retention: { enabled: false },
    },
    { seedDemo: false },
  );
  // Outside the embedded default, region keys are provisioned, never invented on first use.
  for (const ring of ['NOAM', 'EURO']) await app.envelope.provider.rotate(ring);
  const deps = { router: app.stores.router, objects: app.objects, envelope: app.envelope };
  const op = (await app.accounts.createOperatorKey({ kind: 'system', name: 'test' }, 'op')).token;
  const customer = async (name: string, region: 'NOAM' | 'EURO', e164: string) => {
    const c = await call(app, 'POST', '/v1/customers', op, { name, region });
    const key = (await call(app, 'POST', `/v1/customers/${c.body.id}/api-keys`, op, { name: 'k' })).body
      .key as string;
    const n = await call(app, 'POST', '/v1/numbers', op, {
      e164,
      customerId: c.body.id,
      retention: { policy: '30d' },
    });
    if (n.status !== 201) throw new Error(JSON.stringify(n.body));
    return { id: c.body.id as string, key, region, e164 };
  };
  return { app, op, customer, deps };
}

const later = () => new Date(Date.now() + 30 * 86_400_000);

async function download(app: App, url: string, key?: string) {
  return app.api.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });
}

t.test(
  'a recording deleted through the API is gone at once and its record says the customer deleted it',
  async (t) => {
    const { app, customer, deps } = await start(t);
    const alice = await customer('Alice', 'EURO', '+4930901820');
    const bob = await customer('Bob', 'NOAM', '+12025550100');
    const rec = await addRecording(deps, 'EURO', alice.id, { expiresAt: later(), number: alice.e164 });

    t.equal(
      (await call(app, 'GET', `/v1/recordings/${rec.id}`, bob.key)).status,
      404,
      "another customer's key: 404",
    );
    t.equal((await call(app, 'DELETE', `/v1/recordings/${rec.id}`, bob.key)).status, 404);
    t.ok(await app.objects.exists('EURO', rec.key), 'untouched by the refused delete');

    const dl = await download(app, `/v1/recordings/${rec.id}/content`, alice.key);
    t.equal(dl.statusCode, 200);
    t.ok(dl.rawPayload.equals(rec.audio), 'download decrypts to the audio');
    t.equal(dl.headers['content-length'], String(rec.audio.length));
    t.not(
      (await app.objects.get('EURO', rec.key)).subarray(0, 4).toString(),
      'RIFF',
      'stored bytes are not a WAV',
    );

    t.equal((await call(app, 'DELETE', `/v1/recordings/${rec.id}`, alice.key)).status, 204);
    t.notOk(await app.objects.exists('EURO', rec.key), 'object deleted immediately');
    const after = await call(app, 'GET', `/v1/recordings/${rec.id}`, alice.key);
    t.match(after.body, { id: rec.id, deletedReason: 'customer' });
    t.ok(after.body.deletedAt);
    t.equal((await download(app, `/v1/recordings/${rec.id}/content`, alice.key)).statusCode, 404);
    const list = await call(app, 'GET', `/v1/recordings?number=${encodeURIComponent(alice.e164)}`, alice.key);
    t.same(list.body.items, [], 'deleted recordings are not listed by default');
    const withDeleted = await call(app, 'GET', '/v1/recordings?includeDeleted=true', alice.key);
    t.equal(withDeleted.body.items.length, 1);
    const audit = await app.stores.router
      .region('EURO')
      .query<{ action: string; actor: string }>(
        'SELECT action, actor FROM audit_log WHERE customer_id = $1 AND resource_id = $2 ORDER BY id',
        [alice.id, rec.id],
      );
    t.same(
      audit.rows.map((r) => r.action),
      ['recording.download', 'recording.delete', 'recording.get'],
    );
    t.ok(audit.rows.every((r) => r.actor.startsWith('customer-key:')));
  },
);

t.test(
  'a signed link serves the decrypted recording without a key, a tampered one is 404; listing filters by number and time',
  async (t) => {
    const { app, customer, deps } = await start(t);
    const alice = await customer('Alice', 'NOAM', '+12025550100');
    const t0 = new Date('2026-03-01T10:00:00Z');
    const a = await addRecording(deps, 'NOAM', alice.id, {
      expiresAt: later(),
      number: alice.e164,
      startedAt: t0,
    });
    const b = await addRecording(deps, 'NOAM', alice.id, {
      expiresAt: later(),
      number: '+12025550199',
      startedAt: new Date(t0.getTime() + 3_600_000),
    });
    const link = await call(app, 'POST', `/v1/recordings/${a.id}/link`, alice.key);
    t.equal(link.status, 200);
    const path = new URL(link.body.url).pathname + new URL(link.body.url).search;
    const res = await download(app, path);
    t.equal(res.statusCode, 200, 'no key needed: the link is the credential');
    t.ok(res.rawPayload.equals(a.audio));
    t.equal((await download(app, `${path}x`)).statusCode, 404, 'a tampered link is 404');
    const byNumber = await call(
      app,
      'GET',
      `/v1/recordings?number=${encodeURIComponent('+12025550199')}`,
      alice.key,
    );
    t.same(
      byNumber.body.items.map((r: { id: string }) => r.id),
      [b.id],
    );
    const byTime = await call(
      app,
      'GET',
      `/v1/recordings?to=${encodeURIComponent(new Date(t0.getTime() + 1000).toISOString())}`,
      alice.key,
    );
    t.same(
      byTime.body.items.map((r: { id: string }) => r.id),
      [a.id],
    );
    const page1 = await call(app, 'GET', '/v1/recordings?limit=1', alice.key);
    const page2 = await call(
      app,
      'GET',
      `/v1/recordings?limit=1&cursor=${encodeURIComponent(page1.body.next)}`,
      alice.key,
    );
    t.same([page1.body.items[0].id, page2.body.items[0].id], [b.id, a.id], 'newest first, paged');
  },
);

async function untar(buf: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  await pipeline(Readable.from([buf]), createGunzip(), extract);
  return files;
}

const ndjson = (files: Map<string, Buffer>, name: string) =>
  [...files.entries()]
    .filter(([k]) => k.startsWith(`${name}/`) && k.endsWith('.ndjson'))
    .flatMap(([, v]) =>
      v
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );

t.test(
  'the export holds all of a customer’s records and content and nothing of any other customer',
  async (t) => {
    const { app, op, customer, deps } = await start(t);
    const alice = await customer('Alice', 'EURO', '+4930901820');
    const bob = await customer('Bob', 'NOAM', '+12025550100');
    const seed = async (c: typeof alice) => {
      const rec = await addRecording(deps, c.region, c.id, { expiresAt: later(), number: c.e164 });
      const msg = await addMessageContent(deps, c.region, c.id, {
        expiresAt: later(),
        media: [Buffer.from(`img-${c.id}`)],
      });
      const cdrs = [makeCdr(c.id), makeCdr(c.id), makeCdr(c.id)];
      const mdrs = [makeMdr(c.id, { id: msg.messageId }), makeMdr(c.id)];
      for (const r of cdrs) await app.records.write(CDR, r);
      for (const r of mdrs) await app.records.write(MDR, r);
      return { rec, msg, cdrs, mdrs };
    };
    const a = await seed(alice);
    const b = await seed(bob);
    await app.records.flush();

    t.equal(
      (await download(app, `/v1/customers/${alice.id}/export`, bob.key)).statusCode,
      404,
      "another customer's key: 404",
    );
    for (const key of [alice.key, op]) {
      const res = await download(app, `/v1/customers/${alice.id}/export`, key);
      t.equal(res.statusCode, 200);
      const files = await untar(res.rawPayload);
      const manifest = JSON.parse(files.get('manifest.json')!.toString());
      t.match(manifest, { customerId: alice.id, region: 'EURO', missing: [] });
      t.same(
        ndjson(files, 'cdrs')
          .map((r) => r.id)
          .sort(),
        a.cdrs.map((r) => r.id).sort(),
        'every CDR',
      );
      t.same(
        ndjson(files, 'mdrs')
          .map((r) => r.id)
          .sort(),
        a.mdrs.map((r) => r.id).sort(),
        'every MDR',
      );
      t.same(
        ndjson(files, 'numbers').map((r) => r.e164),
        [alice.e164],
      );
      const msgs = ndjson(files, 'messages');
      t.same(
        msgs.map((m) => [m.messageId, m.body]),
        [[a.msg.messageId, a.msg.body]],
        'message body decrypted',
      );
      t.ok(files.get(msgs[0].media[0].file)?.equals(a.msg.media[0]!.data), 'media file decrypted');
      const recs = ndjson(files, 'recordings');
      t.same(
        recs.map((r) => r.id),
        [a.rec.id],
      );
      t.ok(files.get(recs[0].file)?.equals(a.rec.audio), 'recording decrypted');
      t.notOk(
        ndjson(files, 'api-keys').some((k) => 'secretHash' in k),
        'no key hashes',
      );
      const everything = [...files.values()].map((v) => v.toString('latin1')).join('\n');
      for (const foreign of [
        bob.id,
        b.rec.id,
        b.msg.messageId,
        b.msg.body,
        ...b.cdrs.map((r) => r.id),
        bob.e164,
      ])
        t.equal(everything.indexOf(foreign), -1, `nothing of the other customer (${foreign.slice(0, 12)})`);
    }
    const audits = await app.stores.router
      .region('EURO')
      .query("SELECT 1 FROM audit_log WHERE customer_id = $1 AND action = 'customer.export'", [alice.id]);
    t.equal(audits.rowCount, 2, 'each export audited');
  },
);

t.test('the content erase deletes all content and keeps CDRs and MDRs', async (t) => {
  const { app, customer, deps } = await start(t);
  const alice = await customer('Alice', 'NOAM', '+12025550100');
  const bob = await customer('Bob', 'NOAM', '+12025550101');
  const recs = [
    await addRecording(deps, 'NOAM', alice.id, { expiresAt: later() }),
    await addRecording(deps, 'NOAM', alice.id, { expiresAt: later() }),
  ];
  const msg = await addMessageContent(deps, 'NOAM', alice.id, {
    expiresAt: later(),
    media: [Buffer.from('a'), Buffer.from('b')],
  });
  const bobs = await addRecording(deps, 'NOAM', bob.id, { expiresAt: later() });
  const cdr = makeCdr(alice.id);
  await app.records.write(CDR, cdr);
  await app.records.flush();

  t.equal(
    (await call(app, 'POST', `/v1/customers/${alice.id}/content/erase`, alice.key, {})).status,
    400,
    'needs confirm',
  );
  t.equal(
    (await call(app, 'POST', `/v1/customers/${alice.id}/content/erase`, bob.key, { confirm: true })).status,
    404,
  );
  const res = await call(app, 'POST', `/v1/customers/${alice.id}/content/erase`, alice.key, {
    confirm: true,
  });
  t.same(res.body, { erased: { recordings: 2, messages: 1 } });
  for (const r of recs) t.notOk(await app.objects.exists('NOAM', r.key));
  for (const m of msg.media) t.notOk(await app.objects.exists('NOAM', m.key));
  const db = app.stores.router.region('NOAM');
  const mc = await db.query<{ body_enc: Buffer | null; media: unknown[]; deleted_reason: string }>(
    'SELECT body_enc, media, deleted_reason FROM message_content WHERE message_id = $1',
    [msg.messageId],
  );
  t.same(
    mc.rows,
    [{ body_enc: null, media: [], deleted_reason: 'erase' }],
    'body and media gone, the fact kept',
  );
  t.equal((await db.query('SELECT 1 FROM cdrs WHERE id = $1', [cdr.id])).rowCount, 1, 'the CDR stays');
  t.ok(await app.objects.exists('NOAM', bobs.key), "the other customer's content stays");
});

t.test("a number's new retention policy applies to its existing content on request", async (t) => {
  const { app, customer, deps } = await start(t);
  const alice = await customer('Alice', 'EURO', '+4930901820');
  const created = new Date(Date.now() - 10 * 86_400_000);
  const rec = await addRecording(deps, 'EURO', alice.id, {
    expiresAt: later(),
    number: alice.e164,
    createdAt: created,
  });
  // Another number of the same customer: its content keeps its own expiry.
  const other = await addRecording(deps, 'EURO', alice.id, {
    expiresAt: later(),
    number: '+4930901829',
    createdAt: created,
  });
  const msg = await addMessageContent(deps, 'EURO', alice.id, { expiresAt: later(), createdAt: created });
  await app.records.write(
    MDR,
    makeMdr(alice.id, { id: msg.messageId, direction: 'inbound', recipient: alice.e164 }),
  );
  await app.records.flush();
  t.equal(
    (await call(app, 'PATCH', `/v1/numbers/${alice.e164}`, alice.key, { retention: { policy: '7d' } }))
      .status,
    200,
  );
  const res = await call(
    app,
    'POST',
    `/v1/numbers/${encodeURIComponent(alice.e164)}/retention/apply`,
    alice.key,
  );
  t.same(res.body, { updated: { recordings: 1, messages: 1 } });
  const expected = created.getTime() + 7 * 86_400_000 + 24 * 3_600_000;
  const got = await call(app, 'GET', `/v1/recordings/${rec.id}`, alice.key);
  t.equal(new Date(got.body.expiresAt).getTime(), expected, 'created + 7 days + buffer');
  const untouched = await call(app, 'GET', `/v1/recordings/${other.id}`, alice.key);
  t.ok(new Date(untouched.body.expiresAt).getTime() > expected + 86_400_000, 'another number untouched');
  const mc = await app.stores.router
    .region('EURO')
    .query<{ expires_at: Date }>('SELECT expires_at FROM message_content WHERE message_id = $1', [
      msg.messageId,
    ]);
  t.equal(mc.rows[0]?.expires_at.getTime(), expected);
});
