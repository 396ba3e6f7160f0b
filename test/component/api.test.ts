// The side-API against a running daemon: keys and scopes, precise errors, audit, caches.
import t from 'tap';
import { startTestApp, call } from '../support/app.js';
import { waitFor } from '../support/wait.js';

async function withDemo(t: Parameters<typeof startTestApp>[0], overrides = {}) {
  const app = await startTestApp(t, overrides, { seedDemo: true });
  if (!app.demo) throw new Error('demo not seeded');
  return { app, op: app.demo.operatorKey, customer: app.demo.customerKey, customerId: app.demo.customerId };
}

t.test('the demo seed prints its keys once and they work', async (t) => {
  const { app, op, customer } = await withDemo(t);
  t.equal(app.printed.length, 1);
  t.match(app.printed[0], op);
  t.equal((await call(app, 'GET', '/v1/carriers', op)).status, 200);
  t.equal((await call(app, 'GET', '/v1/numbers/+12025550100', customer)).status, 200);
});

t.test('missing, malformed, unknown and revoked keys are 401 with a precise message', async (t) => {
  const { app, op, customerId } = await withDemo(t);
  const none = await call(app, 'GET', '/v1/numbers');
  t.equal(none.status, 401);
  t.match(none.body.error.message, /missing API key/);
  t.equal((await call(app, 'GET', '/v1/numbers', 'not-a-key')).body.error.message, 'malformed API key');
  const unknown = await call(app, 'GET', '/v1/numbers', `rc_op_0123456789abcdef_${'x'.repeat(43)}`);
  t.same([unknown.status, unknown.body.error.code], [401, 'UNAUTHENTICATED']);

  const created = await call(app, 'POST', `/v1/customers/${customerId}/api-keys`, op, { name: 'temp' });
  t.equal(created.status, 201);
  t.match(created.body.key, /^rc_noam_/);
  t.equal((await call(app, 'GET', '/v1/numbers', created.body.key)).status, 200, 'new key works');
  t.equal(
    (await call(app, 'DELETE', `/v1/customers/${customerId}/api-keys/${created.body.id}`, op)).status,
    204,
  );
  const revoked = await call(app, 'GET', '/v1/numbers', created.body.key);
  t.same(
    [revoked.status, revoked.body.error.message],
    [401, 'invalid or revoked API key'],
    'revocation is immediate (cache evicted)',
  );
  const listed = await call(app, 'GET', `/v1/customers/${customerId}/api-keys`, op);
  t.notOk(JSON.stringify(listed.body).includes(created.body.key.split('_')[3]), 'secrets are never listed');
});

t.test("a customer key cannot see another customer's number: 404", async (t) => {
  const { app, op, customer } = await withDemo(t);
  const other = await call(app, 'POST', '/v1/customers', op, { name: 'Other GmbH', region: 'EURO' });
  t.equal(other.status, 201);
  const otherKey = (await call(app, 'POST', `/v1/customers/${other.body.id}/api-keys`, op, { name: 'k' }))
    .body.key;
  t.match(otherKey, /^rc_euro_/);
  const theirs = await call(app, 'POST', '/v1/numbers', otherKey, { e164: '+4930901820' });
  t.equal(theirs.status, 201);
  t.equal(theirs.body.country, 'DE');
  t.equal(theirs.body.region, 'EURO');

  const peek = await call(app, 'GET', '/v1/numbers/+4930901820', customer);
  t.same([peek.status, peek.body.error.code], [404, 'NOT_FOUND']);
  t.equal(
    (await call(app, 'PATCH', '/v1/numbers/+4930901820', customer, { recording: { enabled: true } })).status,
    404,
  );
  t.equal((await call(app, 'DELETE', '/v1/numbers/+4930901820', customer)).status, 404);
  t.equal(
    (await call(app, 'GET', `/v1/numbers?customerId=${other.body.id}`, customer)).status,
    404,
    'cannot list theirs',
  );
  t.equal((await call(app, 'GET', '/v1/numbers/+4930901820', op)).status, 200, 'operators see every number');
  t.equal((await call(app, 'GET', '/v1/carriers', customer)).status, 403, 'customers cannot read the plan');
});

t.test('bad bodies get a 400 naming the field and the expectation', async (t) => {
  const { app, op, customer } = await withDemo(t);
  const badNumber = await call(app, 'POST', '/v1/numbers', customer, { e164: '4155550100' });
  t.equal(badNumber.status, 400);
  t.equal(badNumber.body.error.code, 'VALIDATION_FAILED');
  t.match(badNumber.body.error.message, /e164 must match pattern/);
  const extra = await call(app, 'PATCH', '/v1/numbers/+12025550100', customer, {
    recording: { enabled: true, volume: 11 },
  });
  t.same([extra.status, extra.body.error.code], [400, 'VALIDATION_FAILED']);
  t.match(extra.body.error.message, /must NOT have additional properties/);
  const badRetention = await call(app, 'PATCH', '/v1/numbers/+12025550100', customer, {
    retention: { policy: '2d' },
  });
  t.equal(badRetention.status, 400);
  const badJson = await app.api.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
    payload: '{"name": ',
  });
  t.equal(badJson.statusCode, 400);
  t.equal(JSON.parse(badJson.body).error.code, 'INVALID_JSON');
  t.notMatch(badJson.body, /at .*\.js/, 'no stack trace to the client');
  const region = await call(app, 'POST', '/v1/customers', op, { name: 'X', region: 'MARS' });
  t.match(region.body.error.message, /region/);
  const status = await call(app, 'PATCH', '/v1/numbers/+12025550100', customer, { status: 'suspended' });
  t.same([status.status, status.body.error.code], [403, 'FORBIDDEN'], 'status is for operators');
  const dup = await call(app, 'POST', '/v1/numbers', op, {
    e164: '+12025550100',
    customerId: (await call(app, 'POST', '/v1/customers', op, { name: 'Y', region: 'NOAM' })).body.id,
  });
  t.same([dup.status, dup.body.error.code], [409, 'CONFLICT'], 'one owner per number');
  t.equal((await call(app, 'GET', '/v1/nowhere', op)).status, 404);
});

t.test('every change is audited in the right place, and caches follow at once', async (t) => {
  const { app, op, customer, customerId } = await withDemo(t);
  const res = await call(app, 'PATCH', '/v1/numbers/+12025550100', customer, {
    recording: { enabled: true, channels: 2 },
    retention: { policy: 'custom', customDays: 45 },
  });
  t.equal(res.status, 200);
  t.equal(res.body.version, 2);
  await waitFor(() => app.numbers.get('+12025550100')?.recording.enabled === true, {
    message: 'number cache refreshed',
  });
  const { rows } = await app.stores.router
    .region('NOAM')
    .query<{ actor: string; action: string; details: { fields: string[] } }>(
      "SELECT actor, action, details FROM audit_log WHERE customer_id = $1 AND action = 'number.update'",
      [customerId],
    );
  t.equal(rows.length, 1);
  t.match(rows[0], { action: 'number.update', details: { fields: ['recording', 'retention'] } });
  t.match(rows[0]!.actor, /^customer-key:/);

  const carrier = await call(app, 'POST', '/v1/carriers', op, {
    name: 'Tier One',
    category: 'tier1_voice',
    countries: ['GB'],
    regions: ['EURO'],
  });
  t.equal(carrier.status, 201);
  t.equal(
    (
      await call(app, 'POST', '/v1/routes', op, {
        kind: 'voice',
        prefix: '44',
        carrierId: carrier.body.id,
        cost: 0.004,
      })
    ).status,
    201,
  );
  await waitFor(() => app.plan.snapshot.routes.some((r) => r.prefix === '44'), {
    message: 'plan cache reloaded',
  });
  const control = await app.stores.control.query<{ action: string }>(
    'SELECT action FROM control_audit ORDER BY id',
  );
  t.ok(['carrier.create', 'route.create'].every((a) => control.rows.some((r) => r.action === a)));
  const missingCarrier = await call(app, 'POST', '/v1/routes', op, {
    kind: 'voice',
    prefix: '33',
    carrierId: '00000000-0000-4000-8000-000000000000',
  });
  t.equal(missingCarrier.status, 404);
});

t.test('per-key rate limit answers 429 with Retry-After', async (t) => {
  const app = await startTestApp(t, { api: { rateLimit: { max: 3, windowMs: 60_000 } } }, { seedDemo: true });
  const key = app.demo!.customerKey;
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await call(app, 'GET', '/v1/numbers', key)).status);
  t.same(statuses, [200, 200, 200, 429]);
  const limited = await call(app, 'GET', '/v1/numbers', key);
  t.equal(limited.body.error.code, 'RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After given');
  t.equal((await call(app, 'GET', '/healthz')).status, 200, 'probes are never limited');
});

t.test('health, readiness, metrics and the OpenAPI document over a real socket', async (t) => {
  const app = await startTestApp(t);
  const get = (p: string) => fetch(`${app.apiUrl}${p}`);
  t.equal((await get('/healthz')).status, 200);
  const ready = (await (await get('/readyz')).json()) as {
    status: string;
    checks: { name: string; ok: boolean }[];
  };
  t.equal(ready.status, 'ready');
  t.ok(ready.checks.every((c) => c.ok));
  const metrics = await (await get('/metrics')).text();
  t.match(metrics, /process_cpu_seconds_total/);
  t.match(metrics, /records_written_total|cache_numbers/);
  const spec = (await (await get('/openapi.json')).json()) as {
    openapi: string;
    paths: Record<string, unknown>;
  };
  t.equal(spec.openapi, '3.0.3');
  t.ok(spec.paths['/v1/numbers/{e164}']);
});
