import t from 'tap';
import { AppRegistry } from '../../../src/edge/app/registry.js';
import type { AppConnection } from '../../../src/edge/app/connection.js';
import { IdGenerator } from '../../../src/edge/support/ids.js';
import { TimerWheel } from '../../../src/edge/support/timer-wheel.js';
import { waitFor } from '../../support/wait.js';

const app = (id: number): AppConnection => ({ id, routes: new Set<string>() }) as unknown as AppConnection;

t.test('round-robin among apps that routed a verb; remove_route drops only that verb', async (t) => {
  const r = new AppRegistry();
  const a = app(1);
  const b = app(2);
  r.route(a, 'INVITE');
  r.route(a, 'options');
  r.route(b, 'invite');
  t.same(
    [r.select('invite'), r.select('invite'), r.select('invite')].map((c) => c?.id),
    [1, 2, 1],
  );
  r.unroute(a, 'invite');
  t.same(
    [r.select('invite'), r.select('invite')].map((c) => c?.id),
    [2, 2],
  );
  t.equal(r.select('options')?.id, 1, 'the other verb stays');
  r.remove(b);
  t.equal(r.select('invite'), undefined);
});

t.test('ids have drachtio shapes', async (t) => {
  const ids = new IdGenerator();
  t.match(ids.branch(), /^z9hG4bK[A-Za-z0-9]{13}$/);
  t.match(ids.tag(), /^[A-Za-z0-9]{13}$/);
  t.match(ids.uuid(), /^[0-9a-f-]{36}$/);
  const a = ids.nextCSeq();
  t.equal(ids.nextCSeq(), a + 1);
});

t.test('the timer wheel fires scheduled callbacks and skips cancelled ones', async (t) => {
  const wheel = new TimerWheel(5);
  t.teardown(() => wheel.close());
  const fired: string[] = [];
  wheel.schedule(30, () => fired.push('b'));
  wheel.schedule(10, () => fired.push('a'));
  wheel.schedule(20, () => fired.push('never')).cancel();
  t.equal(wheel.size, 2);
  await waitFor(() => fired.length === 2, { message: 'both timers fired' });
  t.same(fired, ['a', 'b'], 'in deadline order');
  t.equal(wheel.size, 0);
});
