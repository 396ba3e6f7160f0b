// The region database down (a TCP proxy between the daemon and PostgreSQL, cut): nothing accepted is
// lost. POST /v1/messages answers 503 and submits nothing; an inbound deliver_sm is answered with a
// temporary error and its retransmission is recorded and delivered once the database is back; a
// receipt for a submitted message is held and applied later; messages queued before the cut are
// submitted after it.
import t from 'tap';
import { startTestApp, call } from '../support/app.js';
import { startSmsc } from '../support/smsc.js';
import { setupMessaging, startReceiver } from '../support/messaging.js';
import { createDatabase, pgUrl, PG_HOST, PG_PORT } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { secret, tempDir } from '../support/config.js';
import { FileKeyProvider } from '../../src/crypto/index.js';
import { waitFor } from '../support/wait.js';
import { encodeGsm } from '../../src/messaging/gsm.js';
import { formatReceiptText } from '../../src/messaging/receipt.js';
import { SMPP_STATUS } from '../../src/messaging/smpp/raw-codec.js';

// Bounds for a shared, loaded machine; never a performance assertion.
t.setTimeout(300_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metricSum(
  app: { metrics: { getSingleMetric(n: string): unknown } },
  name: string,
  label: string,
) {
  const m = app.metrics.getSingleMetric(name) as
    { get(): Promise<{ values: { value: number; labels: Record<string, string> }[] }> } | undefined;
  const values = (await m?.get())?.values ?? [];
  return values.filter((v) => v.labels.operation === label).reduce((s, v) => s + v.value, 0);
}

t.test(
  'region database cut: refused clearly, nothing lost, everything resumes once it is back',
  async (t) => {
    const proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
    t.teardown(() => proxy.close());
    const db = (url: string) => ({
      url: secret(url),
      poolSize: 4,
      connectTimeoutMs: 1000,
      statementTimeoutMs: 3000,
    });
    const control = await createDatabase(t, 'control');
    const noam = await createDatabase(t, 'noam');
    // Databases configured means no embedded key generation: the region keys exist beforehand.
    const keyDir = tempDir(t, 'keys');
    const provider = new FileKeyProvider(keyDir, false);
    for (const ring of ['NOAM', 'control']) await provider.rotate(ring);
    const hook = await startReceiver(t);
    const smsc = await startSmsc();
    t.teardown(() => smsc.close());
    const app = await startTestApp(t, {
      databases: { control: db(control.url), regions: { NOAM: db(pgUrl(noam.name, proxy.port)) } },
      crypto: { keyDir, urlSigningKey: secret(Buffer.alloc(32, 7).toString('base64')) },
      messaging: {
        bind: { enquireLinkMs: 2000, responseTimeoutMs: 2000, reconnectMinMs: 50, reconnectMaxMs: 300 },
        outbound: { pollIntervalMs: 200, retryMs: 500, submitWaitMs: 300 },
        delivery: { pollIntervalMs: 100, retryBaseMs: 100, retryMaxMs: 400 },
      },
    } as never);
    const s = await setupMessaging(t, app, { smscs: [smsc], messaging: { webhookUrl: hook.url } });
    const region = app.stores.router.region('NOAM');
    const mdr = async (id: string) =>
      (await region.query<{ status: string }>('SELECT status FROM mdrs WHERE id = $1', [id])).rows[0]?.status;
    const send = (text: string) =>
      call(app, 'POST', '/v1/messages', s.key, {
        from: s.number,
        to: '+447911123456',
        text,
        statusCallbackUrl: hook.url,
      });
    const callbacks = (id: string, status: string) =>
      hook.accepted.filter((r) => r.json.id === id && r.json.status === status).length;

    // A message submitted before the cut; its receipt will arrive during the outage.
    const sent = await send('before the cut');
    t.equal(sent.status, 202);
    const sentId = sent.body.id as string;
    await waitFor(async () => (await mdr(sentId)) === 'sent', { message: 'submitted', timeoutMs: 30_000 });
    const smscId = smsc.submits[0]!.smscId;

    // Messages accepted while no bind is up stay in the outbound queue (requeued).
    smsc.options.password = 'not-the-password';
    smsc.cut();
    await waitFor(() => s.svc.pool.binds.every((b) => b.state !== 'bound'), { message: 'binds down' });
    const queued: string[] = [];
    for (const text of ['queued one', 'queued two', 'queued three']) {
      const r = await send(text);
      t.equal(r.status, 202, `accepted: ${text}`);
      queued.push(r.body.id as string);
    }
    await waitFor(
      async () =>
        Number(
          (
            await region.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM sms_outbound
              WHERE message_id = ANY($1::uuid[]) AND state = 'queued' AND last_error IS NOT NULL`,
              [queued],
            )
          ).rows[0]!.n,
        ) === 3,
      { message: 'requeued for lack of a bind', timeoutMs: 30_000 },
    );

    proxy.cut();
    delete smsc.options.password;
    await waitFor(() => s.svc.pool.binds.some((b) => b.state === 'bound'), {
      message: 'bind up again',
      timeoutMs: 30_000,
    });
    const submitsAtCut = smsc.submits.length;
    t.equal(submitsAtCut, 1, 'only the first message reached the SMSC');

    // (a) The API refuses clearly.
    const refused = await send('during the outage');
    t.equal(refused.status, 503, 'POST /v1/messages: 503');
    t.equal(refused.body.error.code, 'UNAVAILABLE');
    t.match(refused.body.error.message, /region database is unavailable/, 'says why');
    t.notMatch(JSON.stringify(refused.body), /at .*\.(ts|js):\d+/, 'no stack trace');
    t.ok((await metricSum(app, 'messaging_region_unavailable_total', 'send')) >= 1, 'counted');

    // (b) An inbound message gets a temporary error; no webhook.
    const inbound = {
      source_addr: '447911000001',
      destination_addr: '12025550100',
      data_coding: 0,
      short_message: encodeGsm('inbound during the outage'),
    };
    t.equal(await smsc.deliver(inbound), SMPP_STATUS.ESME_RX_T_APPN, 'deliver_sm: ESME_RX_T_APPN');
    t.ok((await metricSum(app, 'messaging_region_unavailable_total', 'inbound')) >= 1, 'counted');

    // (c) The receipt of the submitted message, during the outage: held (temporary error to the SMSC,
    // and retried by us).
    const rstatus = await smsc.deliver({
      source_addr: '447911123456',
      destination_addr: s.number.slice(1),
      esm_class: 0x04,
      short_message: Buffer.from(formatReceiptText({ id: smscId, stat: 'DELIVRD', err: '000' }), 'ascii'),
    });
    t.equal(rstatus, SMPP_STATUS.ESME_RX_T_APPN, 'receipt answered with a temporary error');
    await waitFor(async () => (await metricSum(app, 'messaging_region_unavailable_total', 'receipt')) >= 1, {
      message: 'receipt held',
    });

    await sleep(1500);
    t.equal(smsc.submits.length, submitsAtCut, 'nothing submitted during the outage');
    t.ok(
      (await metricSum(app, 'messaging_region_unavailable_total', 'outbound_poll')) >= 1,
      'failed polls counted',
    );
    t.notOk(
      hook.received.some((r) => r.json.event === 'message.received'),
      'no webhook for the unrecorded inbound message',
    );

    // (d) Restored.
    proxy.restore();
    await waitFor(async () => (await mdr(sentId)) === 'delivered', {
      message: 'held receipt applied',
      timeoutMs: 60_000,
    });
    await waitFor(() => callbacks(sentId, 'delivered') >= 1, {
      message: 'delivered callback',
      timeoutMs: 30_000,
    });

    t.equal(await smsc.deliver(inbound), SMPP_STATUS.ESME_ROK, "the SMSC's retry is accepted");
    await waitFor(() => hook.accepted.some((r) => r.json.event === 'message.received'), {
      message: 'inbound webhook',
      timeoutMs: 30_000,
    });

    await waitFor(() => smsc.submits.length === submitsAtCut + 3, {
      message: 'queued messages submitted',
      timeoutMs: 60_000,
    });
    t.same(
      smsc.submits
        .slice(submitsAtCut)
        .map((x) => x.text)
        .sort(),
      ['queued one', 'queued three', 'queued two'],
      'each queued message submitted once',
    );
    for (const id of queued)
      await waitFor(async () => (await mdr(id)) === 'sent', {
        message: `queued ${id} sent`,
        timeoutMs: 30_000,
      });

    await sleep(1500);
    const inboundHooks = hook.accepted.filter((r) => r.json.event === 'message.received');
    t.equal(inboundHooks.length, 1, 'the inbound message reached the webhook exactly once');
    t.equal(inboundHooks[0]!.json.text, 'inbound during the outage');
    const { rows } = await region.query<{ id: string }>(
      `SELECT id FROM mdrs WHERE direction = 'inbound' AND customer_id = $1`,
      [s.customerId],
    );
    t.same(
      rows.map((r) => r.id),
      [inboundHooks[0]!.json.id],
      'exactly one inbound MDR, under the id the webhook carries',
    );
    t.equal(callbacks(sentId, 'delivered'), 1, 'the delivered callback sent once');
    t.equal(smsc.submits.length, submitsAtCut + 3, 'no message submitted twice');
  },
);
