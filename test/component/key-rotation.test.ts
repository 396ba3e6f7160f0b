// Key rotation end to end: content sealed under v1 (recording objects, MMS media objects, message
// bodies, SMPP bind passwords) stays readable after rotation to v2, and the re-wrap started by the
// rotation call leaves no data key under v1 in any sealed object or column.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { startTestApp, call } from '../support/app.js';
import { waitFor } from '../support/wait.js';
import { addCustomer } from '../support/records.js';
import { addMessageContent, addRecording } from '../support/content.js';
import { keyCensus } from '../../src/content/rewrap.job.js';
import { messageBodyContext, mediaContext, recordingContext } from '../../src/content/content-refs.js';
import type { ContentHandle } from '../../src/content/content.feature.js';

t.test(
  'content under v1 is readable after rotation, and re-wrapping leaves no data key under v1',
  async (t) => {
    const app = await startTestApp(t, {}, { seedDemo: true });
    const op = app.demo!.operatorKey;
    const deps = { router: app.stores.router, objects: app.objects, envelope: app.envelope };
    const later = new Date(Date.now() + 86_400_000);
    const euro = await addCustomer(app.stores, 'EURO');
    const noam = await addCustomer(app.stores, 'NOAM');
    const recs = [
      await addRecording(deps, 'EURO', euro, { expiresAt: later }),
      await addRecording(deps, 'NOAM', noam, { expiresAt: later, audio: Buffer.alloc(200_000, 7) }),
    ];
    const msgs = [
      await addMessageContent(deps, 'EURO', euro, {
        expiresAt: later,
        media: [Buffer.from('m1'), Buffer.from('m2')],
      }),
      await addMessageContent(deps, 'NOAM', noam, { expiresAt: later }),
    ];
    const carrier = (await app.stores.control.query<{ id: string }>('SELECT id FROM carriers LIMIT 1'))
      .rows[0];
    const bindId = randomUUID();
    await app.stores.control.query(
      `INSERT INTO smpp_binds (id, carrier_id, name, host, port, system_id, password_enc) VALUES ($1, $2, 'b1', '127.0.0.1', 2775, 'sys', $3)`,
      [
        bindId,
        carrier!.id,
        await app.envelope.seal('control', Buffer.from('smpp-secret'), `smpp-bind:${bindId}`),
      ],
    );
    const before = await keyCensus(deps);
    t.ok(
      Object.keys(before).length > 0 && Object.keys(before).every((k) => k.endsWith('/v1')),
      'everything under v1',
    );
    t.same(Object.keys(before).sort(), ['EURO/v1', 'NOAM/v1', 'control/v1']);

    for (const ring of ['EURO', 'NOAM', 'control']) {
      const res = await call(app, 'POST', `/v1/key-rings/${ring}/rotate`, op, { rewrap: ring === 'control' });
      t.equal(res.status, 202);
      t.equal(res.body.version, 'v2');
    }
    t.equal(
      (await call(app, 'POST', '/v1/key-rings/EURO/rotate', app.demo!.customerKey, {})).status,
      403,
      'operators only',
    );
    await (app.features.content as ContentHandle).rewrap.wait();
    const info = await waitFor(async () => {
      const r = await call(app, 'GET', '/v1/key-rings/EURO', op);
      return r.body.lastRewrap ? r.body : undefined;
    });
    t.match(info, { ring: 'EURO', versions: ['v1', 'v2'], current: 'v2' });

    const after = await keyCensus(deps);
    t.same(Object.keys(after).sort(), ['EURO/v2', 'NOAM/v2', 'control/v2'], 'no data key left under v1');
    t.same(
      Object.values(after).reduce((a, b) => a + b, 0),
      Object.values(before).reduce((a, b) => a + b, 0),
      'every sealed item counted, none lost',
    );

    for (const [i, r] of recs.entries()) {
      const region = i === 0 ? 'EURO' : 'NOAM';
      t.ok(
        (await app.envelope.open(await app.objects.get(region, r.key), recordingContext(r.id))).equals(
          r.audio,
        ),
      );
    }
    for (const m of msgs[0]!.media)
      t.ok(
        (
          await app.envelope.open(
            await app.objects.get('EURO', m.key),
            mediaContext(msgs[0]!.messageId, m.key),
          )
        ).equals(m.data),
      );
    const body = await app.stores.router
      .region('NOAM')
      .query<{ body_enc: Buffer }>('SELECT body_enc FROM message_content WHERE message_id = $1', [
        msgs[1]!.messageId,
      ]);
    t.equal(
      (await app.envelope.open(body.rows[0]!.body_enc, messageBodyContext(msgs[1]!.messageId))).toString(),
      msgs[1]!.body,
    );
    const pw = await app.stores.control.query<{ password_enc: Buffer }>(
      'SELECT password_enc FROM smpp_binds WHERE id = $1',
      [bindId],
    );
    t.equal(
      (await app.envelope.open(pw.rows[0]!.password_enc, `smpp-bind:${bindId}`)).toString(),
      'smpp-secret',
    );
    const audit = await app.stores.control.query(
      "SELECT 1 FROM control_audit WHERE action = 'key-ring.rotate'",
    );
    t.equal(audit.rowCount, 3, 'each rotation audited');
  },
);
