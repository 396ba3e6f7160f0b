// Two instances sharing PostgreSQL and Redis: a change made through one is seen by the other at once
// (number cache, routing plan, key revocation), and rate limits are shared.
import t from 'tap';
import { startCluster } from '../support/cluster.js';
import { call } from '../support/app.js';
import { waitFor } from '../support/wait.js';

t.test('changes through one instance reach the caches of the other', async (t) => {
  const [a, b] = await startCluster(t, 2);
  const { token: op } = await a!.accounts.createOperatorKey({ kind: 'system', name: 'test' }, 'op');

  const customer = await call(a!, 'POST', '/v1/customers', op, { name: 'Euro AG', region: 'EURO' });
  t.equal(customer.status, 201);
  const key = (await call(a!, 'POST', `/v1/customers/${customer.body.id}/api-keys`, op, { name: 'k' })).body
    .key;
  const number = await call(a!, 'POST', '/v1/numbers', key, {
    e164: '+4930901820',
    voice: { destinations: [{ type: 'sip', uri: 'sip:pbx@example.com' }] },
  });
  t.equal(number.status, 201);

  await waitFor(() => b!.numbers.get('+4930901820'), { message: 'number reaches instance b' });
  t.equal(b!.numbers.get('+4930901820')?.region, 'EURO');
  t.equal((await call(b!, 'GET', '/v1/numbers/+4930901820', key)).status, 200, 'the key works on b');

  await call(b!, 'PATCH', '/v1/numbers/+4930901820', key, { recording: { enabled: true } });
  await waitFor(() => a!.numbers.get('+4930901820')?.recording.enabled === true, {
    message: 'update reaches instance a',
  });

  const carrier = await call(a!, 'POST', '/v1/carriers', op, {
    name: 'DE Licensed',
    category: 'regional_voice',
    countries: ['DE'],
  });
  await waitFor(() => b!.plan.snapshot.carriers.has(carrier.body.id), { message: 'plan reaches instance b' });

  const keyId = key.split('_')[2];
  t.equal(
    (await call(b!, 'DELETE', `/v1/customers/${customer.body.id}/api-keys/${keyId}`, key)).status,
    204,
    'a key may revoke itself',
  );
  await waitFor(async () => (await call(a!, 'GET', '/v1/numbers', key)).status === 401, {
    message: 'revocation reaches instance a',
  });

  await call(a!, 'DELETE', '/v1/numbers/+4930901820', op);
  await waitFor(() => b!.numbers.get('+4930901820') === undefined, {
    message: 'deletion reaches instance b',
  });
});

t.test('the per-key rate limit is shared by every instance', async (t) => {
  const [a, b] = await startCluster(t, 2, {
    overrides: { api: { rateLimit: { max: 4, windowMs: 60_000 } } },
  });
  const { token: op } = await a!.accounts.createOperatorKey({ kind: 'system', name: 'test' }, 'op');
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await call(i % 2 ? b! : a!, 'GET', '/v1/carriers', op)).status);
  t.same(statuses, [200, 200, 200, 200, 429, 429]);
});
