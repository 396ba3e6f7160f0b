// The latency proxy around databases and shared state: times named async methods, counts failures,
// and leaves everything else (getters, private fields, other methods) working as before.
import t from 'tap';
import { Registry } from 'prom-client';
import { timed, dbTimer } from '../../src/platform/timed.js';

class Store {
  readonly label = 'NOAM';
  #calls = 0;
  get calls() {
    return this.#calls;
  }
  async query(ok: boolean) {
    this.#calls += 1;
    if (!ok) throw new Error('refused');
    return this.#calls;
  }
  other() {
    return this.#calls;
  }
}

t.test('times named methods and keeps private fields working', async (t) => {
  const seen: [string, boolean][] = [];
  const store = timed(new Store(), ['query'], (method, seconds, ok) => {
    t.ok(seconds >= 0);
    seen.push([method, ok]);
  });
  t.equal(await store.query(true), 1);
  await t.rejects(store.query(false), /refused/);
  t.equal(store.other(), 2, 'unnamed method bound to the target');
  t.equal(store.calls, 2, 'getter reads the private field');
  t.equal(store.label, 'NOAM');
  t.same(seen, [
    ['query', true],
    ['query', false],
  ]);
  t.equal(store.query, store.query, 'one wrapper per method');
});

t.test('dbTimer feeds db_query_duration_seconds and db_query_errors_total', async (t) => {
  const registry = new Registry();
  const store = timed(new Store(), ['query'], dbTimer(registry, 'NOAM'));
  await store.query(true);
  await store.query(false).catch(() => undefined);
  const text = await registry.metrics();
  t.match(text, /db_query_duration_seconds_count\{db="NOAM",op="query"\} 2/);
  t.match(text, /db_query_errors_total\{db="NOAM",op="query"\} 1/);
  t.match(text, /db_query_errors_total\{db="NOAM",op="tx"\} 0/, 'every op series exists from the start');
});
