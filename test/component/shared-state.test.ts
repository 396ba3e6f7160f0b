// One behavioural suite for both shared-state implementations: in-process and real Redis.
import t from 'tap';
import type { Test } from 'tap';
import { MemoryState, RedisState, type SharedState } from '../../src/state/index.js';
import { REDIS_URL, redisPrefix } from '../support/services.js';
import { waitFor } from '../support/wait.js';

type Factory = (t: Test) => Promise<[SharedState, SharedState]>;

const backends: [string, Factory][] = [
  [
    'memory',
    async () => {
      const s = new MemoryState('p:');
      return [s, s];
    },
  ],
  [
    'redis',
    async (t) => {
      // Two clients on one prefix: two daemon instances sharing state.
      const prefix = await redisPrefix(t);
      const open = async () => {
        const s = new RedisState({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 2000 });
        await s.connect();
        t.teardown(() => s.close());
        return s;
      };
      return [await open(), await open()];
    },
  ],
];

for (const [name, make] of backends) {
  t.test(`${name}: values expire, setIfAbsent and getDel are one-shot`, async (t) => {
    const [a, b] = await make(t);
    await a.set('k', 'v', 60_000);
    t.equal(await b.get('k'), 'v');
    t.ok(await a.setIfAbsent('nonce', '1', 60_000));
    t.notOk(await b.setIfAbsent('nonce', '2', 60_000), 'second claim refused');
    t.equal(await b.getDel('nonce'), '1');
    t.equal(await a.getDel('nonce'), null, 'a one-time value cannot be used twice');
    await a.set('short', 'x', 50);
    await waitFor(async () => (await b.get('short')) === null, { message: 'expiry' });
    t.equal(await a.del('k'), 1);
  });

  t.test(`${name}: window counters count across instances`, async (t) => {
    const [a, b] = await make(t);
    t.equal((await a.incrWindow('w', 60_000)).count, 1);
    t.equal((await b.incrWindow('w', 60_000)).count, 2);
    const last = await a.incrWindow('w', 60_000, 3);
    t.equal(last.count, 5);
    t.ok(last.resetMs > 0 && last.resetMs <= 60_000);
  });

  t.test(`${name}: a token bucket allows its burst, then refuses with a retry time`, async (t) => {
    const [a, b] = await make(t);
    const bucket = { ratePerSec: 1, burst: 3 };
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await (i % 2 ? b : a).takeToken('cps', bucket)).allowed);
    t.same(results, [true, true, true]);
    const refused = await b.takeToken('cps', bucket);
    t.notOk(refused.allowed);
    t.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 1000, `retry after ${refused.retryAfterMs} ms`);
  });

  t.test(`${name}: leases cap concurrent holders and come back when they expire`, async (t) => {
    const [a, b] = await make(t);
    t.ok(await a.acquireLease('calls:c1', 'call-1', 2, 60_000));
    t.ok(await b.acquireLease('calls:c1', 'call-2', 2, 60_000));
    t.notOk(await a.acquireLease('calls:c1', 'call-3', 2, 60_000), 'third holder refused');
    t.ok(await a.acquireLease('calls:c1', 'call-1', 2, 60_000), 'a holder may re-acquire its own lease');
    await b.releaseLease('calls:c1', 'call-2');
    t.equal(await a.countLeases('calls:c1'), 1);
    // An instance that dies never releases: its lease expires.
    t.ok(await b.acquireLease('calls:c1', 'call-dead', 2, 100));
    t.equal(await a.countLeases('calls:c1'), 2);
    await waitFor(async () => (await a.countLeases('calls:c1')) === 1, { message: 'lease expiry' });
    t.ok(await a.renewLease('calls:c1', 'call-1', 60_000));
    t.notOk(await a.renewLease('calls:c1', 'call-dead', 60_000), 'an expired lease cannot be renewed');
  });

  t.test(`${name}: hashes collect fields from several writers`, async (t) => {
    const [a, b] = await make(t);
    t.equal(await a.hashPut('parts', '2', 'second', 60_000), 1);
    t.equal(await b.hashPut('parts', '1', 'first', 60_000), 2);
    t.same(await a.hashGetAll('parts'), { '1': 'first', '2': 'second' });
    t.same(await a.hashGetAll('none'), {});
  });

  t.test(`${name}: a lock is held by one owner and released only by it`, async (t) => {
    const [a, b] = await make(t);
    t.ok(await a.tryLock('sweeper:EURO', 'i1', 60_000));
    t.notOk(await b.tryLock('sweeper:EURO', 'i2', 60_000));
    await b.unlock('sweeper:EURO', 'i2');
    t.notOk(await b.tryLock('sweeper:EURO', 'i2', 60_000), 'a non-owner cannot unlock');
    t.ok(await a.renewLock('sweeper:EURO', 'i1', 60_000));
    t.notOk(await b.renewLock('sweeper:EURO', 'i2', 60_000));
    await a.unlock('sweeper:EURO', 'i1');
    t.ok(await b.tryLock('sweeper:EURO', 'i2', 60_000));
  });

  t.test(`${name}: published messages reach every subscriber`, async (t) => {
    const [a, b] = await make(t);
    const got: string[] = [];
    const off = await b.subscribe('cache', (m) => got.push(m));
    await a.publish('cache', 'number:+14155550100');
    await waitFor(() => got.length === 1, { message: 'message delivered' });
    t.same(got, ['number:+14155550100']);
    await off();
    await a.publish('cache', 'after');
    await a.ping();
    t.same(got, ['number:+14155550100'], 'nothing after unsubscribe');
  });
}
