// The voice guards on both shared-state backends: in-process, and real Redis with two clients on one
// prefix (two daemon instances). Limits, leases that recover after an instance dies, source blocks,
// gateway health shared across instances.
import t from 'tap';
import type { Test } from 'tap';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MemoryState, RedisState, type SharedState } from '../../src/state/index.js';
import { CallLimits, type LimitsConfig } from '../../src/voice/guards/limits.js';
import { SourceGuard } from '../../src/voice/guards/source-block.js';
import { GatewayHealth, type GatewayHealthConfig } from '../../src/voice/guards/gateway-health.js';
import { policyMetrics } from '../../src/voice/guards/policy-metrics.js';
import type { Gateway } from '../../src/plan/plan.repo.js';
import { REDIS_URL, redisPrefix } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

interface Instance {
  state: SharedState;
  /** Kills this instance's connection to shared state (an instance dying). */
  kill(): Promise<void>;
}

type Factory = (t: Test) => Promise<[Instance, Instance]>;

const backends: [string, Factory][] = [
  [
    'memory',
    async () => {
      const s = new MemoryState('vp:');
      // One process: "killing" an instance only stops its renewals (done by the test via abandon()).
      const i = { state: s, kill: async () => undefined };
      return [i, i];
    },
  ],
  [
    'redis',
    async (t) => {
      const prefix = await redisPrefix(t);
      const open = async (): Promise<Instance> => {
        const s = new RedisState({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 2000 });
        await s.connect();
        let closed = false;
        t.teardown(() => (closed ? undefined : s.close()));
        return {
          state: s,
          kill: async () => {
            closed = true;
            s.client.disconnect();
            await s.close();
          },
        };
      };
      return [await open(), await open()];
    },
  ],
];

const limitsConfig = (over: Partial<LimitsConfig> = {}): LimitsConfig => ({
  customerConcurrent: 2,
  customerCps: 100,
  expensivePerHour: 2,
  rejectCode: 503,
  leaseTtlMs: 60_000,
  ...over,
});

const gw = (id: string): Gateway => ({
  id,
  carrierId: 'c1',
  direction: 'both',
  host: `198.51.100.${id.length}`,
  port: 5060,
  transport: 'udp',
  priority: 100,
  matchPort: false,
  matchTransport: false,
  settings: {},
});

for (const [name, make] of backends) {
  t.test(`${name}: customer concurrency holds across instances and releases`, async (t) => {
    const [a, b] = await make(t);
    const metrics = policyMetrics(new Registry());
    const la = new CallLimits({ state: a.state, config: limitsConfig(), metrics, log });
    const lb = new CallLimits({ state: b.state, config: limitsConfig({ rejectCode: 486 }), metrics, log });
    const c1 = await la.acquireCustomer({ callId: 'call-1', customerId: 'cust' });
    const c2 = await lb.acquireCustomer({ callId: 'call-2', customerId: 'cust' });
    t.ok(c1.ok && c2.ok);
    t.same(await la.acquireCustomer({ callId: 'call-3', customerId: 'cust' }), {
      ok: false,
      status: 503,
      reason: 'customer_concurrency',
    });
    t.same(
      await lb.acquireCustomer({ callId: 'call-3', customerId: 'cust' }),
      { ok: false, status: 486, reason: 'customer_concurrency' },
      'the configured reject code',
    );
    t.equal(
      (await la.acquireCustomer({ callId: 'other', customerId: 'cust-2' })).ok,
      true,
      'another customer has its own budget',
    );
    t.same(
      (await la.acquireCustomer({ callId: 'call-4', customerId: 'cust', limits: { maxConcurrent: 3 } })).ok,
      true,
      "the trunk's own limit overrides the default",
    );
    if (c2.ok) await c2.lease?.release();
    t.equal(await la.activeCalls('customer', 'cust'), 2);
    if (c1.ok) await c1.lease?.release();
    t.equal(await lb.activeCalls('customer', 'cust'), 1);
    const rejections = await metrics.rejections.get();
    t.equal(rejections.values.find((v) => v.labels.reason === 'customer_concurrency')?.value, 2);
  });

  t.test(`${name}: an instance dies mid-call; the counter recovers after lease expiry`, async (t) => {
    const [a, b] = await make(t);
    const metrics = policyMetrics(new Registry());
    const cfg = limitsConfig({ customerConcurrent: 1, leaseTtlMs: 600 });
    const la = new CallLimits({ state: a.state, config: cfg, metrics, log });
    const lb = new CallLimits({ state: b.state, config: cfg, metrics, log });
    const held = await la.acquireCustomer({ callId: 'live-call', customerId: 'cust' });
    if (!held.ok || !held.lease) return t.fail('first call must get a lease');
    // The holder renews while the call lasts: well past the ttl, the slot is still taken.
    await new Promise((r) => setTimeout(r, 1500));
    t.same(await lb.acquireCustomer({ callId: 'second', customerId: 'cust' }), {
      ok: false,
      status: 503,
      reason: 'customer_concurrency',
    });
    // Instance A dies without releasing: no more renewals, no release.
    held.lease.abandon();
    await a.kill();
    await waitFor(async () => (await lb.activeCalls('customer', 'cust')) === 0, {
      message: 'lease expiry',
      timeoutMs: 10_000,
    });
    const again = await lb.acquireCustomer({ callId: 'after-crash', customerId: 'cust' });
    t.ok(again.ok, 'the counter recovered');
    if (again.ok) await again.lease?.release();
  });

  t.test(`${name}: calls per second, spend velocity, carrier limits`, async (t) => {
    const [a, b] = await make(t);
    const metrics = policyMetrics(new Registry());
    const cfg = limitsConfig({ customerConcurrent: 100, customerCps: 2 });
    const la = new CallLimits({ state: a.state, config: cfg, metrics, log });
    const lb = new CallLimits({ state: b.state, config: cfg, metrics, log });
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await (i % 2 ? lb : la).acquireCustomer({ callId: `cps-${i}`, customerId: 'c' }));
    t.same(
      results.map((r) => r.ok || r.reason),
      [true, true, 'customer_cps'],
    );
    t.equal(await la.activeCalls('customer', 'c'), 2, 'a refused call holds no slot');

    const exp = [];
    for (let i = 0; i < 3; i++)
      exp.push(
        await (i % 2 ? lb : la).acquireCustomer({
          callId: `exp-${i}`,
          customerId: 'spender',
          limits: { maxCps: 1000 },
          expensive: true,
        }),
      );
    t.same(
      exp.map((r) => r.ok || r.reason),
      [true, true, 'spend_velocity'],
    );
    t.ok(
      (await la.acquireCustomer({ callId: 'cheap', customerId: 'spender', limits: { maxCps: 1000 } })).ok,
      'cheap destinations are not counted',
    );

    const k1 = await la.acquireCarrier({ callId: 'x1', carrierId: 'carrier', limits: { maxConcurrent: 1 } });
    t.ok(k1.ok);
    t.same(await lb.acquireCarrier({ callId: 'x2', carrierId: 'carrier', limits: { maxConcurrent: 1 } }), {
      ok: false,
      status: 503,
      reason: 'carrier_concurrency',
    });
    if (k1.ok) await k1.lease?.release();
    const cps = [];
    for (let i = 0; i < 2; i++)
      cps.push(await la.acquireCarrier({ callId: `y${i}`, carrierId: 'slow', limits: { maxCps: 1 } }));
    t.same(
      cps.map((r) => r.ok || r.reason),
      [true, 'carrier_cps'],
    );
    t.same((await la.acquireCarrier({ callId: 'z', carrierId: 'free' })).ok, true, 'no limits: no lease');
  });

  t.test(`${name}: repeated auth failures block a source on every instance; scanners`, async (t) => {
    const [a, b] = await make(t);
    const metrics = policyMetrics(new Registry());
    const cfg = { failures: 3, windowMs: 60_000, blockMs: 800 };
    const ua = ['friendly-scanner', 'sipvicious', 'sipcli'];
    const ga = new SourceGuard({ state: a.state, config: cfg, scannerUserAgents: ua, metrics, log });
    const gb = new SourceGuard({ state: b.state, config: cfg, scannerUserAgents: ua, metrics, log });
    t.same(await ga.recordFailure('203.0.113.9'), { blocked: false, failures: 1 });
    t.same(
      await gb.recordFailure('::ffff:203.0.113.9'),
      { blocked: false, failures: 2 },
      'mapped IPv6 is the same source',
    );
    t.same((await gb.blocked('203.0.113.9')).blocked, false);
    t.same(await ga.recordFailure('203.0.113.9'), { blocked: true, failures: 3 });
    const blocked = await gb.blocked('203.0.113.9');
    t.ok(blocked.blocked && (blocked.untilMs ?? 0) > Date.now(), 'blocked on the other instance');
    t.notOk((await gb.blocked('203.0.113.10')).blocked, 'other sources unaffected');
    await waitFor(async () => !(await ga.blocked('203.0.113.9')).blocked, { message: 'block lapses' });
    t.ok(ga.isScanner('friendly-scanner'));
    t.ok(ga.isScanner('SIPVicious/0.3.4'));
    t.ok(ga.isScanner('sipcli/v1.8'));
    t.notOk(ga.isScanner('Linphone/5.2 (belle-sip)'));
    t.notOk(ga.isScanner(undefined));
    await gb.recordFailure('198.51.100.1');
    await gb.unblock('198.51.100.1');
    t.same(
      await ga.recordFailure('198.51.100.1'),
      { blocked: false, failures: 1 },
      'unblock resets the count',
    );
  });

  t.test(
    `${name}: gateway health: OPTIONS failures, recovery, call failures, across instances`,
    async (t) => {
      const [a, b] = await make(t);
      const reg = new Registry();
      const metrics = policyMetrics(reg);
      const answers = new Map<string, number>([
        ['g1', 200],
        ['g22', 200],
      ]);
      const cfg: GatewayHealthConfig = {
        pingIntervalMs: 60_000,
        pingTimeoutMs: 300,
        failuresBeforeDown: 2,
        successesBeforeUp: 2,
        callFailures: 3,
        callFailureWindowMs: 60_000,
        downForMs: 700,
      };
      const sent: string[] = [];
      const sendOptions = async (g: Gateway) => {
        sent.push(g.id);
        const s = answers.get(g.id) ?? 0;
        if (s === -1) return new Promise<number>(() => undefined); // never answers: the timeout decides
        return s;
      };
      const common = { config: cfg, sendOptions, carrierName: () => 'Carrier One', metrics, log };
      const ha = new GatewayHealth({ ...common, state: a.state, instanceId: 'a' });
      const hb = new GatewayHealth({ ...common, state: b.state, instanceId: 'b' });
      const g1 = gw('g1');
      const g2 = gw('g22');
      ha.setGateways([g1, g2]);
      hb.setGateways([g1, g2]);
      await ha.round();
      await hb.round();
      t.same(sent.sort(), ['g1', 'g22'], 'each gateway pinged once per interval across both instances');
      t.ok(ha.isUp(g1) && hb.isUp(g1));

      answers.set('g1', -1);
      await ha.ping(g1);
      await hb.refresh();
      t.ok(hb.isUp(g1), 'one failure is not enough');
      await hb.ping(g1);
      await ha.refresh();
      t.notOk(ha.isUp(g1), 'down after two failures (one per instance), seen everywhere');
      t.notOk(hb.isUp(g1));
      t.ok(ha.isUp(g2));
      answers.set('g1', 404); // any SIP answer means the stack is alive
      await ha.ping(g1);
      await hb.refresh();
      t.notOk(hb.isUp(g1), 'one success is not enough');
      await hb.ping(g1);
      await ha.refresh();
      t.ok(ha.isUp(g1), 'back after two successes');

      for (let i = 0; i < 3; i++) await (i % 2 ? hb : ha).recordCallFailure(g2, `call-${i}`);
      await ha.refresh();
      await hb.refresh();
      t.notOk(ha.isUp(g2), 'too many call failures: down');
      t.notOk(hb.isUp(g2), 'on every instance');
      await waitFor(() => ha.isUp(g2) && hb.isUp(g2), { message: 'down period ends' });

      const text = await reg.metrics();
      t.match(text, /voice_gateway_up\{carrier="Carrier One",gateway="198\.51\.100\.\d+:5060"\} 1/);
      t.match(text, /voice_gateway_marked_down_total\{carrier="Carrier One",reason="options"\} 1/);
      t.match(text, /voice_gateway_marked_down_total\{carrier="Carrier One",reason="call_failures"\} 1/);
      t.match(text, /voice_gateway_pings_total\{carrier="Carrier One",result="failed"\} 2/);
    },
  );
}

// Redis unreachable (a cut proxy, not a stopped server): the limits fail open — the call proceeds,
// the error is counted and logged — and hold again once Redis is back.
t.test('redis cut: limits fail open and count it, then hold again after restore', async (t) => {
  const target = new URL(REDIS_URL);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  t.teardown(() => proxy.close());
  const via = new URL(REDIS_URL);
  via.port = String(proxy.port);
  const state = new RedisState({
    url: via.toString(),
    keyPrefix: await redisPrefix(t),
    commandTimeoutMs: 500,
  });
  await state.connect();
  t.teardown(() => state.close());
  const registry = new Registry();
  const metrics = policyMetrics(registry);
  const limits = new CallLimits({ state, config: limitsConfig({ customerConcurrent: 1 }), metrics, log });
  const errors = async () =>
    (await registry.getSingleMetric('voice_guard_state_errors_total')!.get()).values.reduce(
      (n, v) => n + v.value,
      0,
    );

  const first = await limits.acquireCustomer({ callId: 'a', customerId: 'cut' });
  t.ok(first.ok, 'first call takes the only slot');
  t.notOk((await limits.acquireCustomer({ callId: 'b', customerId: 'cut' })).ok, 'limit holds');

  proxy.cut();
  const during = await limits.acquireCustomer({ callId: 'c', customerId: 'cut' });
  t.ok(during.ok, 'Redis unreachable: the call is let through');
  t.ok((await errors()) >= 1, 'the shared-state failure is counted');

  proxy.restore();
  await waitFor(async () => !(await limits.acquireCustomer({ callId: 'd', customerId: 'cut' })).ok, {
    message: 'limit enforced again after restore',
    timeoutMs: 20_000,
  });
  if (first.ok) await first.lease?.release();
  t.ok((await limits.acquireCustomer({ callId: 'e', customerId: 'cut' })).ok, 'slot free after release');
});
