// Concurrent deliver_sm share multi-row statements (inbound-writer.ts) on a real PostgreSQL region
// database: every one answered only once recorded, one MDR and one webhook per message, content kept.
import t from 'tap';
import { startTestApp, call } from '../support/app.js';
import { startSmsc } from '../support/smsc.js';
import { setupMessaging, startReceiver } from '../support/messaging.js';
import { createDatabase } from '../support/services.js';
import { secret, tempDir } from '../support/config.js';
import { waitFor } from '../support/wait.js';
import { encodeGsm } from '../../src/messaging/gsm.js';
import { FileKeyProvider } from '../../src/crypto/index.js';

// Bounds for a shared, loaded machine; never a performance assertion.
t.setTimeout(300_000);

t.test('200 concurrent deliver_sm: each recorded once before its answer, each delivered once', async (t) => {
  const db = (url: string) => ({
    url: secret(url),
    poolSize: 8,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 20_000,
  });
  const control = await createDatabase(t, 'control');
  const noam = await createDatabase(t, 'noam');
  const keyDir = tempDir(t, 'keys');
  const provider = new FileKeyProvider(keyDir, false);
  for (const ring of ['NOAM', 'control']) await provider.rotate(ring);
  const hook = await startReceiver(t);
  const smsc = await startSmsc();
  t.teardown(() => smsc.close());
  const app = await startTestApp(t, {
    databases: { control: db(control.url), regions: { NOAM: db(noam.url) } },
    crypto: { keyDir, urlSigningKey: secret(Buffer.alloc(32, 5).toString('base64')) },
  } as never);
  const s = await setupMessaging(t, app, {
    smscs: [smsc],
    messaging: { webhookUrl: hook.url, keepContent: true },
  });
  const region = app.stores.router.region('NOAM');
  const count = async () =>
    Number(
      (await region.query<{ n: number }>(`SELECT count(*)::int AS n FROM mdrs WHERE direction = 'inbound'`))
        .rows[0]!.n,
    );

  const N = 200;
  const texts = Array.from({ length: N }, (_, i) => `batch ${i}`);
  const answers = await Promise.all(
    texts.map((text) =>
      smsc.deliver({
        source_addr: '447911123456',
        destination_addr: '12025550100',
        data_coding: 0,
        short_message: encodeGsm(text),
      }),
    ),
  );
  t.same(new Set(answers), new Set([0]), 'every deliver_sm answered ESME_ROK');
  t.equal(await count(), N, 'every MDR exists once the answers are in');
  const batches = (
    await (
      app.metrics.getSingleMetric('messaging_inbound_batch_rows') as unknown as {
        get(): Promise<{ values: { value: number; metricName?: string }[] }>;
      }
    ).get()
  ).values;
  const statements = batches.find((v) => v.metricName === 'messaging_inbound_batch_rows_count')!.value;
  const rowsWritten = batches.find((v) => v.metricName === 'messaging_inbound_batch_rows_sum')!.value;
  t.equal(rowsWritten, N, 'every row written through the batching writer');
  t.ok(statements < N, `fewer statements than messages (${statements} for ${N})`);

  await waitFor(() => hook.accepted.length >= N, { message: 'webhooks', timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 500));
  t.equal(hook.accepted.length, N, 'one webhook per message');
  t.same(hook.accepted.map((r) => String(r.json.text)).sort(), [...texts].sort(), 'each text once');
  const { rows } = await region.query<{ n: number; delivered: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE state = 'delivered')::int AS delivered
       FROM message_outbox WHERE channel = 'webhook'`,
  );
  t.equal(rows[0]!.n, N, 'one outbox row per message');
  await waitFor(
    async () =>
      (
        await region.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM message_outbox WHERE state = 'delivered'`,
        )
      ).rows[0]!.n === N,
    { message: 'outbox rows marked delivered' },
  );
  const one = hook.accepted[0]!;
  const m = await call(app, 'GET', `/v1/messages/${String(one.json.id)}`, s.key);
  t.equal(m.body.text, one.json.text, 'the kept body, sealed in the batch, opens');
  const { rows: content } = await region.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM message_content WHERE body_enc IS NOT NULL',
  );
  t.equal(content[0]!.n, N, 'content kept for every message');
});
