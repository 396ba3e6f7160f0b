// The bind manager against a real SMPP peer over TCP (the test SMSC).
import t, { type Test } from 'tap';
import pino from 'pino';
import { Bind, BindLost, type BindOptions } from '../../src/messaging/smpp/bind.js';
import { BindPool } from '../../src/messaging/smpp/bind-pool.js';
import { SMPP_STATUS } from '../../src/messaging/smpp/raw-codec.js';
import { encodeMessage } from '../../src/messaging/encoding.js';
import { startSmsc, rawPdu, type TestSmsc } from '../support/smsc.js';
import { waitFor } from '../support/wait.js';

// Bounds for a shared, loaded machine; never a performance assertion.
t.setTimeout(300_000);

const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

function bindOptions(smsc: TestSmsc, over: Partial<BindOptions> = {}): BindOptions {
  return {
    id: over.id ?? 'b1',
    name: over.name ?? 'test-bind',
    carrierId: 'carrier-1',
    host: '127.0.0.1',
    port: smsc.port,
    tls: false,
    systemId: 'esme',
    password: 'pw',
    bindType: 'transceiver',
    windowSize: 10,
    maxMps: 1000,
    responseTimeoutMs: 1500,
    enquireLinkMs: 500,
    connectTimeoutMs: 2000,
    reconnectMinMs: 50,
    reconnectMaxMs: 500,
    throttlePauseMs: 100,
    deadAfterTimeouts: 3,
    ...over,
  };
}

const submitParams = (text: string) => {
  const p = encodeMessage(text, 1).parts[0]!;
  return {
    source_addr: '12025550100',
    destination_addr: '447700900000',
    data_coding: p.dataCoding,
    esm_class: p.esmClass,
    registered_delivery: 1,
    short_message: p.bytes,
  };
};

async function bound(t: Test, smsc: TestSmsc, over: Partial<BindOptions> = {}) {
  const bind = new Bind(bindOptions(smsc, over), log);
  t.teardown(() => bind.stop());
  bind.start();
  await waitFor(() => bind.state === 'bound', { message: 'bound' });
  return bind;
}

t.test('binds with credentials, submits, answers enquire_link', async (t) => {
  const smsc = await startSmsc({ systemId: 'esme', password: 'pw' });
  t.teardown(() => smsc.close());
  const bind = await bound(t, smsc);
  const id = await bind.submit(submitParams('hello'));
  t.equal(id, '1000');
  t.equal(smsc.submits[0]!.text, 'hello');
  t.equal(smsc.binds[0]!.command, 'bind_transceiver');
  await waitFor(() => smsc.received.some((p) => p.command === 'enquire_link'), { message: 'enquire_link' });
});

t.test('a refused bind retries with backoff and never reports bound', async (t) => {
  const smsc = await startSmsc({ systemId: 'esme', password: 'right' });
  t.teardown(() => smsc.close());
  const bind = new Bind(bindOptions(smsc), log);
  t.teardown(() => bind.stop());
  bind.start();
  await waitFor(() => smsc.binds.length >= 3, { message: 'three bind attempts' });
  t.not(bind.state, 'bound');
  await t.rejects(bind.submit(submitParams('x')), { message: /bind lost/ });
});

t.test('throttling slows the bind down without failing messages', async (t) => {
  const smsc = await startSmsc({
    statusFor: (n) =>
      n >= 5 && n <= 12 ? (n % 2 ? SMPP_STATUS.ESME_RTHROTTLED : SMPP_STATUS.ESME_RMSGQFUL) : 0,
  });
  t.teardown(() => smsc.close());
  const bind = await bound(t, smsc, { maxMps: 200 });
  let throttled = 0;
  bind.on('throttled', () => throttled++);
  const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => bind.submit(submitParams(`m${i}`))));
  t.equal(ids.length, 40, 'every message accepted');
  t.ok(throttled >= 1, `throttled ${throttled} times`);
  t.ok(bind.currentMps < 200, `rate lowered to ${bind.currentMps}/s`);
  const accepted = new Set(smsc.submits.filter((s) => s.answered).map((s) => s.text));
  t.equal(accepted.size, 40);
});

t.test('window: never more outstanding submits than the window', async (t) => {
  let outstanding = 0;
  let peak = 0;
  const smsc = await startSmsc({ drop: () => true });
  t.teardown(() => smsc.close());
  const bind = await bound(t, smsc, { windowSize: 3, responseTimeoutMs: 60_000 });
  for (let i = 0; i < 8; i++) bind.submit(submitParams(`w${i}`)).catch(() => {});
  await waitFor(() => smsc.submits.length === 3, { message: 'three in flight' });
  await new Promise((r) => setTimeout(r, 200));
  outstanding = smsc.submits.length;
  peak = Math.max(peak, bind.inflight);
  t.equal(outstanding, 3, 'the SMSC saw only the window');
  t.equal(peak, 3);
  t.equal(bind.queued, 5);
});

t.test('an unanswered submit times out; a silent peer is torn down and rebound', async (t) => {
  const smsc = await startSmsc({ drop: (n) => n <= 3 });
  t.teardown(() => smsc.close());
  const bind = await bound(t, smsc, { responseTimeoutMs: 300, deadAfterTimeouts: 3, enquireLinkMs: 60_000 });
  const results = await Promise.allSettled([1, 2, 3].map((i) => bind.submit(submitParams(`d${i}`))));
  for (const r of results) {
    t.equal(r.status, 'rejected');
    t.ok((r as PromiseRejectedResult).reason instanceof BindLost);
    t.equal(((r as PromiseRejectedResult).reason as BindLost).written, true, 'the PDU was written');
  }
  await waitFor(() => smsc.binds.length >= 2 && bind.state === 'bound', { message: 'rebound' });
  t.equal(await bind.submit(submitParams('after')), '1003');
});

t.test('unknown command ids get generic_nack; a wrong length re-establishes the bind', async (t) => {
  const smsc = await startSmsc();
  t.teardown(() => smsc.close());
  const bind = await bound(t, smsc, { enquireLinkMs: 60_000 });
  const errors: string[] = [];
  bind.on('protocolError', (k: string) => errors.push(k));
  smsc.sendRaw(rawPdu(0x00000077, 4242));
  await waitFor(() => smsc.received.find((p) => p.command === 'generic_nack'), { message: 'generic_nack' });
  const nack = smsc.received.find((p) => p.command === 'generic_nack')!;
  t.equal(nack.command_status, SMPP_STATUS.ESME_RINVCMDID);
  t.equal(nack.sequence_number, 4242);
  t.equal(bind.state, 'bound', 'the bind survives an unknown command');
  t.equal(await bind.submit(submitParams('still here')), '1000');

  // command_length 8 (< 16): framing is lost.
  smsc.sendRaw(rawPdu(0x00000005, 1, Buffer.alloc(0), 8));
  await waitFor(() => smsc.binds.length >= 2 && bind.state === 'bound', { message: 'bind re-established' });
  t.ok(errors.includes('unknown_command'));
  t.ok(errors.includes('malformed'), `protocol errors: ${errors.join(',')}`);
  t.equal(await bind.submit(submitParams('again')), '1001');
});

t.test('pool: a cut bind hands its messages to the other bind; nothing lost', async (t) => {
  const smsc = await startSmsc();
  t.teardown(() => smsc.close());
  const pool = new BindPool(log, async () => 0);
  t.teardown(() => pool.stop());
  await pool.sync([bindOptions(smsc, { id: 'a', name: 'a' }), bindOptions(smsc, { id: 'b', name: 'b' })]);
  await waitFor(() => pool.binds.every((b) => b.state === 'bound'), { message: 'both bound' });
  const jobs = Array.from({ length: 300 }, (_, i) => pool.submit('carrier-1', submitParams(`p${i}`), 10_000));
  await waitFor(() => smsc.submits.length >= 60, { message: 'traffic flowing' });
  smsc.sessions[0]!.socket.destroy();
  const results = await Promise.all(jobs);
  t.equal(results.length, 300);
  const seen = new Map<string, number>();
  for (const s of smsc.submits) seen.set(s.text, (seen.get(s.text) ?? 0) + 1);
  for (let i = 0; i < 300; i++) {
    const n = seen.get(`p${i}`) ?? 0;
    t.ok(n >= 1, `p${i} submitted`);
    if (n > 1) t.ok(results[i]!.respLost, `p${i} twice only because its response was lost`);
  }
});
