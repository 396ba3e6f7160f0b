// Outbound SMS end to end: API → queue → SMPP submit_sm to a real SMSC over TCP → receipts (any
// form, ids normalised) → MDR status → signed status callbacks to a real HTTP receiver.
import t from 'tap';
import { startTestApp, call } from '../support/app.js';
import { startSmsc } from '../support/smsc.js';
import { setupMessaging, startReceiver } from '../support/messaging.js';
import { waitFor } from '../support/wait.js';
import { verifySignature } from '../../src/messaging/signing.js';

// Bounds for a shared, loaded machine; never a performance assertion.
t.setTimeout(300_000);

const fast = {
  messaging: {
    bind: { enquireLinkMs: 2000, responseTimeoutMs: 2000, reconnectMinMs: 50, reconnectMaxMs: 500 },
    outbound: { pollIntervalMs: 200, retryMs: 200 },
    delivery: { pollIntervalMs: 100, retryBaseMs: 50 },
  },
};

t.test('encodings, parts, receipts DELIVRD/UNDELIV, signed status callbacks', async (t) => {
  // Hex ids in submit_sm_resp, decimal in the receipts: the carrier says so and ids still match.
  const smsc = await startSmsc({
    idFormat: 'hex',
    receiptIdAs: 'decimal',
    receipt: (s) => (s.text.includes('FAIL') ? 'UNDELIV' : 'DELIVRD'),
  });
  t.teardown(() => smsc.close());
  const app = await startTestApp(t, fast as never);
  const cb = await startReceiver(t);
  const s = await setupMessaging(t, app, { smscs: [smsc], sms: { receiptIdFormat: 'decimal' } });

  const cases = [
    { text: 'Hello from GSM-7', parts: 1, dc: 0, encoding: 'gsm7' },
    { text: 'abcdefghij'.repeat(20), parts: 2, dc: 0, encoding: 'gsm7' },
    { text: 'Grüße 😀 '.repeat(12), parts: 2, dc: 8, encoding: 'ucs2' },
    { text: 'Price €5 [x] {y} FAIL', parts: 1, dc: 0, encoding: 'gsm7' },
  ];
  const ids: string[] = [];
  for (const c of cases) {
    const r = await call(app, 'POST', '/v1/messages', s.key, {
      from: s.number,
      to: '+447911123456',
      text: c.text,
      statusCallbackUrl: cb.url,
    });
    t.equal(r.status, 202, `202 for ${c.encoding} x${c.parts}`);
    t.equal(r.body.parts, c.parts);
    t.equal(r.body.encoding, c.encoding);
    ids.push(r.body.id as string);
  }
  await waitFor(() => smsc.submits.length >= 6, { message: 'every part submitted' });
  for (const c of cases) {
    const parts = smsc.submits.filter((x) => c.text.startsWith(x.text) || x.concat);
    t.ok(parts.length >= 1);
  }
  const long = smsc.submits.filter((x) => x.concat && x.dataCoding === 0);
  t.equal(long.length, 2, '200 GSM-7 characters: two parts');
  t.equal(long.map((p) => p.text).join(''), cases[1]!.text);
  const uni = smsc.submits.filter((x) => x.dataCoding === 8);
  t.equal(uni.length, 2, 'emoji: UCS-2 in two parts');
  t.equal(uni.map((p) => p.text).join(''), cases[2]!.text);
  const ext = smsc.submits.find((x) => x.text.includes('€'))!;
  t.equal(ext.bytes.length, 'Price €5 [x] {y} FAIL'.length + 5, 'each of €[]{} takes two septets');
  t.equal(ext.destination, '447911123456');
  t.equal(ext.source, '12025550100');

  // Final receipts reach the callback: delivered for three, undelivered for the FAIL one.
  await waitFor(() => cb.received.filter((r) => String(r.json.status) !== 'sent').length >= 4, {
    message: 'final status callbacks',
  });
  const signingKey = (await call(app, 'GET', '/v1/messaging/signing-key', s.key)).body.key as string;
  for (const r of cb.received) {
    t.ok(
      verifySignature(
        signingKey,
        String(r.headers['webhook-timestamp']),
        r.body,
        String(r.headers['webhook-signature']),
      ),
      'callback signature verifies',
    );
    t.equal(r.headers['idempotency-key'], r.json.id);
    t.notOk(
      verifySignature(
        signingKey,
        String(r.headers['webhook-timestamp']),
        r.body + ' ',
        String(r.headers['webhook-signature']),
      ),
    );
  }
  const final = new Map(
    cb.received.filter((r) => r.json.status !== 'sent').map((r) => [r.json.id, r.json.status]),
  );
  t.same([...ids.map((id) => final.get(id))], ['delivered', 'delivered', 'delivered', 'undelivered']);
  for (const [i, id] of ids.entries()) {
    const m = await call(app, 'GET', `/v1/messages/${id}`, s.key);
    t.equal(m.status, 200);
    t.equal(m.body.status, i === 3 ? 'undelivered' : 'delivered');
    t.equal(m.body.aggregator, 'agg-1');
    t.equal(m.body.parts, cases[i]!.parts);
    t.equal(m.body.possibleDuplicate, false);
    t.equal(m.body.text, null, 'number does not keep content: no body stored');
  }
  const list = await call(app, 'GET', '/v1/messages?direction=outbound', s.key);
  t.equal(list.body.items.length, 4);
});

t.test('a receipt before submit_sm_resp (TLV form) is held and matched', async (t) => {
  const smsc = await startSmsc({ receiptFirst: true, receiptForm: 'tlv', receipt: () => 'DELIVRD' });
  t.teardown(() => smsc.close());
  const app = await startTestApp(t, fast as never);
  const cb = await startReceiver(t);
  const s = await setupMessaging(t, app, { smscs: [smsc] });
  const r = await call(app, 'POST', '/v1/messages', s.key, {
    from: s.number,
    to: '+447911123456',
    text: 'early receipt',
    statusCallbackUrl: cb.url,
  });
  await waitFor(() => cb.received.find((x) => x.json.status === 'delivered'), {
    message: 'delivered callback',
  });
  const m = await call(app, 'GET', `/v1/messages/${r.body.id}`, s.key);
  t.equal(m.body.status, 'delivered');
});

t.test('idempotency key: one message, one submit', async (t) => {
  const smsc = await startSmsc();
  t.teardown(() => smsc.close());
  const app = await startTestApp(t, fast as never);
  const s = await setupMessaging(t, app, { smscs: [smsc] });
  const body = { from: s.number, to: '+447911123456', text: 'once' };
  const a = await call(app, 'POST', '/v1/messages', s.key, body, { 'idempotency-key': 'k-1' });
  const b = await call(app, 'POST', '/v1/messages', s.key, body, { 'idempotency-key': 'k-1' });
  t.equal(a.status, 202);
  t.equal(b.status, 200, 'the repeat answers with the first message');
  t.equal(b.body.id, a.body.id);
  await waitFor(() => smsc.submits.length === 1, { message: 'submitted' });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(smsc.submits.length, 1);
});

t.test('bad input gets precise 400s', async (t) => {
  const app = await startTestApp(t, fast as never);
  const s = await setupMessaging(t, app, {});
  const send = (b: Record<string, unknown>) =>
    call(app, 'POST', '/v1/messages', s.key, { from: s.number, to: '+447911123456', text: 'x', ...b });
  const expect400 = async (b: Record<string, unknown>, re: RegExp, what: string) => {
    const r = await send(b);
    t.equal(r.status, 400, what);
    t.match(r.body.error.message, re, what);
    t.notMatch(JSON.stringify(r.body), /at .*\.ts:\d+/, 'no stack trace');
  };
  await expect400({ to: '+123' }, /to/, 'impossible number');
  await expect400({ to: '447911123456' }, /to/, 'not E.164');
  await expect400({ from: '+447911000000' }, /not an active number of this customer/, 'from not owned');
  await expect400({ from: 'bad sender!' }, /alphanumeric sender ID/, 'bad sender');
  await expect400(
    { from: 'ACME', to: '+14155550123', campaignId: 'CABC123' },
    /alphanumeric sender IDs are not delivered/,
    'alnum to US',
  );
  await expect400({ to: '+14155550123' }, /10DLC campaign id/, 'US without campaign');
  await expect400({ to: '+14155550123', campaignId: 'nope' }, /campaignId/, 'bad campaign');
  await expect400({ to: '+919876543210' }, /DLT/, 'India without DLT');
  await expect400({ text: '' }, /text/, 'empty text');
  await expect400({ text: 'x'.repeat(1601) }, /text/, 'text too long');
  await expect400({ colour: 'red' }, /colour|additional/, 'unknown field');
  const ok = await send({ from: 'ACME', campaignId: undefined });
  t.equal(ok.status, 202, 'alphanumeric sender to the UK is fine');
  const india = await send({
    to: '+919876543210',
    dlt: { entityId: '1101234567890', templateId: '1107123456789' },
  });
  t.equal(india.status, 202, 'India with DLT ids');
});

t.test('failover to the next aggregator on a permanent rejection and on bind loss', async (t) => {
  // agg-1 refuses submit_sm permanently (ESME_RSUBMITFAIL); agg-2 takes the message.
  const first = await startSmsc({ statusFor: () => 0x45 });
  const second = await startSmsc();
  t.teardown(() => first.close());
  t.teardown(() => second.close());
  const app = await startTestApp(t, {
    messaging: { ...fast.messaging, outbound: { ...fast.messaging.outbound, submitWaitMs: 1000 } },
  } as never);
  const s = await setupMessaging(t, app, { smscs: [first, second] });
  const a = await call(app, 'POST', '/v1/messages', s.key, {
    from: s.number,
    to: '+447911123456',
    text: 'rejected first',
  });
  t.equal(a.status, 202);
  await waitFor(
    async () => (await call(app, 'GET', `/v1/messages/${a.body.id}`, s.key)).body.status === 'sent',
    {
      message: 'sent through the second aggregator',
    },
  );
  t.equal((await call(app, 'GET', `/v1/messages/${a.body.id}`, s.key)).body.aggregator, 'agg-2');
  t.equal(first.submits.length, 1, 'tried on agg-1 once');
  t.equal(second.submits.length, 1);

  // agg-1's SMSC goes away entirely (no bind can come up): after submitWaitMs, agg-2 again.
  first.options.statusFor = () => 0;
  await first.close();
  const b = await call(app, 'POST', '/v1/messages', s.key, {
    from: s.number,
    to: '+447911123456',
    text: 'bind lost',
  });
  await waitFor(
    async () => (await call(app, 'GET', `/v1/messages/${b.body.id}`, s.key)).body.status === 'sent',
    {
      message: 'sent after failover on bind loss',
    },
  );
  t.equal((await call(app, 'GET', `/v1/messages/${b.body.id}`, s.key)).body.aggregator, 'agg-2');
  const metrics = await app.metrics.metrics();
  t.match(metrics, /messaging_failovers_total\{[^}]*aggregator="agg-1"[^}]*reason="rejected"[^}]*\} 1/);
  t.match(metrics, /messaging_failovers_total\{[^}]*aggregator="agg-1"[^}]*reason="no_bind"[^}]*\} 1/);
});
