// Inbound SMS end to end: deliver_sm from a real SMSC over TCP → decoded, reassembled (parts on two
// daemon instances sharing Redis), recorded before deliver_sm_resp → delivered to a real HTTP
// receiver and a real SMTP server, retried while the receiver is down.
import t from 'tap';
import { startTestApp, call } from '../support/app.js';
import { startCluster } from '../support/cluster.js';
import { startSmsc } from '../support/smsc.js';
import { setupMessaging, startReceiver, messagingOf } from '../support/messaging.js';
import { startSmtp } from '../support/smtp.js';
import { secret, tempDir } from '../support/config.js';
import { waitFor } from '../support/wait.js';
import { encodeGsm } from '../../src/messaging/gsm.js';
import { SMPP_STATUS } from '../../src/messaging/smpp/raw-codec.js';
import { verifySignature } from '../../src/messaging/signing.js';

// Bounds for a shared, loaded machine; never a performance assertion.
t.setTimeout(300_000);

const fast = (smtpPort: number) => ({
  messaging: {
    bind: { enquireLinkMs: 2000, responseTimeoutMs: 2000, reconnectMinMs: 50, reconnectMaxMs: 500 },
    outbound: { pollIntervalMs: 200 },
    delivery: { pollIntervalMs: 100, retryBaseMs: 100, retryMaxMs: 400 },
    inbound: { reassemblyTimeoutMs: 1500 },
    mail: { port: smtpPort, from: 'sms@test.example' },
  },
});

const udh8 = (ref: number, total: number, seq: number) => Buffer.from([5, 0, 3, ref, total, seq]);

t.test(
  'single messages: decoded per data_coding, recorded before the answer, delivered to webhook and mail',
  async (t) => {
    const smtp = await startSmtp(t);
    const hook = await startReceiver(t);
    const smsc = await startSmsc();
    t.teardown(() => smsc.close());
    const app = await startTestApp(t, fast(smtp.port) as never);
    const s = await setupMessaging(t, app, {
      smscs: [smsc],
      messaging: { webhookUrl: hook.url, email: 'owner@customer.example', keepContent: true },
    });
    const region = app.stores.router.region('NOAM');
    const count = async () =>
      Number(
        (await region.query<{ n: number }>(`SELECT count(*)::int AS n FROM mdrs WHERE direction = 'inbound'`))
          .rows[0]!.n,
      );

    const status = await smsc.deliver({
      source_addr: '447911123456',
      destination_addr: '12025550100',
      data_coding: 0,
      short_message: encodeGsm('Hi there €5'),
    });
    t.equal(status, 0);
    t.equal(await count(), 1, 'the MDR exists when deliver_sm_resp arrives');
    await waitFor(() => hook.accepted.length === 1 && smtp.mails.length === 1, {
      message: 'webhook and mail',
    });
    const w = hook.accepted[0]!;
    t.equal(w.json.text, 'Hi there €5');
    t.equal(w.json.from, '+447911123456');
    t.equal(w.json.to, s.number);
    t.equal(w.headers['webhook-id'], w.json.id);
    const key = (await call(app, 'GET', '/v1/messaging/signing-key', s.key)).body.key as string;
    t.ok(
      verifySignature(
        key,
        String(w.headers['webhook-timestamp']),
        w.body,
        String(w.headers['webhook-signature']),
      ),
    );
    t.match(smtp.mails[0]!.raw, /Hi there/);
    t.match(smtp.mails[0]!.raw, new RegExp(`X-Message-ID: ${String(w.json.id)}`, 'i'));
    t.match(smtp.mails[0]!.raw, /Hi there =E2=82=AC5/, 'the text, quoted-printable');
    t.same(smtp.mails[0]!.to, ['owner@customer.example']);
    const m = await call(app, 'GET', `/v1/messages/${String(w.json.id)}`, s.key);
    t.equal(m.body.text, 'Hi there €5', 'body kept (sealed) for a number that keeps content');
    const { rows } = await region.query<{ body_enc: Buffer }>('SELECT body_enc FROM message_content');
    t.notOk(rows[0]!.body_enc.includes(Buffer.from('Hi there')), 'stored body is ciphertext');

    t.equal(
      await smsc.deliver({
        source_addr: '447911123456',
        destination_addr: '12025550100',
        data_coding: 8,
        short_message: Buffer.from('Привет 😀', 'utf16le').swap16(),
      }),
      0,
    );
    t.equal(
      await smsc.deliver({
        source_addr: '447911123456',
        destination_addr: '12025550100',
        data_coding: 3,
        short_message: Buffer.from('café', 'latin1'),
      }),
      0,
    );
    t.equal(
      await smsc.deliver({
        source_addr: '447911123456',
        destination_addr: '12025550100',
        data_coding: 0,
        short_message: Buffer.alloc(0),
        message_payload: encodeGsm('payload '.repeat(40)),
      }),
      0,
    );
    await waitFor(() => hook.accepted.length === 4, { message: 'three more webhooks' });
    const texts = hook.accepted.map((r) => r.json.text);
    t.ok(texts.includes('Привет 😀'), 'UCS-2');
    t.ok(texts.includes('café'), 'Latin-1');
    t.ok(texts.includes('payload '.repeat(40)), 'message_payload');

    t.equal(
      await smsc.deliver({
        source_addr: '447911123456',
        destination_addr: '19995550000',
        short_message: encodeGsm('x'),
      }),
      SMPP_STATUS.ESME_RINVDSTADR,
      'a number we do not serve is refused',
    );
    t.equal(
      await smsc.deliver({
        source_addr: '447911123456',
        destination_addr: '12025550100',
        esm_class: 0x40,
        short_message: Buffer.from([9, 0, 3]),
      }),
      SMPP_STATUS.ESME_RINVMSGLEN,
      'a UDH longer than the message is refused',
    );
    t.equal(await count(), 4);
  },
);

t.test(
  'webhook down for a while: delivered after retries, one MDR, the same message id every time',
  async (t) => {
    const smtp = await startSmtp(t);
    let up = false;
    const hook = await startReceiver(t, () => (up ? 200 : 503));
    const smsc = await startSmsc();
    t.teardown(() => smsc.close());
    const app = await startTestApp(t, fast(smtp.port) as never);
    await setupMessaging(t, app, { smscs: [smsc], messaging: { webhookUrl: hook.url } });
    t.equal(
      await smsc.deliver({
        source_addr: '447911123456',
        destination_addr: '12025550100',
        short_message: encodeGsm('retry me'),
      }),
      0,
    );
    await waitFor(() => hook.received.length >= 3, { message: 'three failed attempts' });
    up = true;
    await waitFor(() => hook.accepted.length === 1, { message: 'delivered after retry' });
    await new Promise((r) => setTimeout(r, 600));
    t.equal(hook.accepted.length, 1, 'delivered once');
    const ids = new Set(hook.received.map((r) => r.headers['webhook-id']));
    t.equal(ids.size, 1, `same message id on all ${hook.received.length} attempts`);
    t.equal(hook.accepted[0]!.json.id, [...ids][0]);
    const { rows } = await app.stores.router
      .region('NOAM')
      .query<{ n: number }>('SELECT count(*)::int AS n FROM mdrs');
    t.equal(rows[0]!.n, 1, 'exactly one MDR');
    const o = await app.stores.router
      .region('NOAM')
      .query<{ state: string; attempts: number; payload_enc: Buffer | null }>(
        'SELECT state, attempts, payload_enc FROM message_outbox',
      );
    t.equal(o.rows[0]!.state, 'delivered');
    t.ok(o.rows[0]!.attempts >= 4);
    t.equal(o.rows[0]!.payload_enc, null, 'payload cleared once delivered');
  },
);

t.test('dead letter after the retry window, visible in the API', async (t) => {
  const smtp = await startSmtp(t);
  const hook = await startReceiver(t, () => 500);
  const smsc = await startSmsc();
  t.teardown(() => smsc.close());
  const cfg = fast(smtp.port);
  (cfg.messaging.delivery as Record<string, number>).deadAfterMs = 800;
  const app = await startTestApp(t, cfg as never);
  const s = await setupMessaging(t, app, { smscs: [smsc], messaging: { webhookUrl: hook.url } });
  await smsc.deliver({
    source_addr: '447911123456',
    destination_addr: '12025550100',
    short_message: encodeGsm('never'),
  });
  await waitFor(
    async () => (await call(app, 'GET', '/v1/message-deliveries?state=dead', s.key)).body.items.length === 1,
    {
      message: 'dead letter',
    },
  );
  const dead = (await call(app, 'GET', '/v1/message-deliveries?state=dead', s.key)).body.items[0];
  t.equal(dead.channel, 'webhook');
  t.match(dead.lastError, /500/);
  t.ok(hook.received.length >= 2);
});

t.test('3-part message split across two instances sharing Redis, out of order: delivered once', async (t) => {
  const smtp = await startSmtp(t);
  const hook = await startReceiver(t);
  const smsc = await startSmsc();
  t.teardown(() => smsc.close());
  const keyDir = tempDir(t, 'keys');
  const [a, b] = await startCluster(t, 2, {
    regions: ['NOAM'],
    overrides: {
      ...fast(smtp.port),
      messaging: { ...fast(smtp.port).messaging, webhookSigningKey: secret('shared-signing-key') },
      crypto: { keyDir, urlSigningKey: secret(Buffer.alloc(32, 9).toString('base64')) },
    },
  });
  await a!.envelope.provider.rotate('NOAM');
  await a!.envelope.provider.rotate('control');
  const s = await setupMessaging(t, a!, {
    smscs: [smsc],
    messaging: { webhookUrl: hook.url, email: 'owner@customer.example' },
  });
  await waitFor(
    () => messagingOf(b!).pool.binds.some((x) => x.state === 'bound') && b!.numbers.get(s.number),
    {
      message: 'second instance bound',
    },
  );
  await waitFor(() => smsc.boundSessions.length === 2, { message: 'one session per instance' });

  const parts = ['First part, ', 'second part, ', 'third part.'];
  const send = (seq: number, session: number) =>
    smsc.deliver(
      {
        source_addr: '447911123456',
        destination_addr: '12025550100',
        esm_class: 0x40,
        short_message: Buffer.concat([udh8(77, 3, seq), encodeGsm(parts[seq - 1]!)]),
      },
      session,
    );
  t.equal(await send(3, 0), 0);
  t.equal(await send(1, 1), 0);
  t.equal(await send(2, 0), 0);
  await waitFor(() => hook.accepted.length >= 1 && smtp.mails.length >= 1, {
    message: 'assembled and delivered',
  });
  await new Promise((r) => setTimeout(r, 2500)); // past the reassembly timeout: nothing more may come
  t.equal(hook.accepted.length, 1, 'one webhook');
  t.equal(smtp.mails.length, 1, 'one mail');
  t.equal(hook.accepted[0]!.json.text, parts.join(''));
  t.equal(hook.accepted[0]!.json.parts, 3);
  t.equal(hook.accepted[0]!.json.incomplete, false);

  // sar_* TLVs, 2 of 3 parts only: delivered after the timeout, marked incomplete.
  const sar = (seq: number, session: number) =>
    smsc.deliver(
      {
        source_addr: '447911123456',
        destination_addr: '12025550100',
        short_message: encodeGsm(`S${seq} `),
        sar_msg_ref_num: 513,
        sar_total_segments: 3,
        sar_segment_seqnum: seq,
      },
      session,
    );
  t.equal(await sar(2, 1), 0);
  t.equal(await sar(1, 0), 0);
  await waitFor(() => hook.accepted.length === 2, { message: 'incomplete delivered after timeout' });
  t.equal(hook.accepted[1]!.json.text, 'S1 S2 ');
  t.equal(hook.accepted[1]!.json.incomplete, true);
  const { rows } = await a!.stores.router
    .region('NOAM')
    .query<{ n: number; inc: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE incomplete)::int AS inc FROM mdrs`,
    );
  t.same(rows[0], { n: 2, inc: 1 }, 'one MDR per message; the incomplete one says so');
});
