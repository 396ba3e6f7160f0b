// Customer trunks end to end on two instances sharing real PostgreSQL and Redis: managed through the
// API (scopes, sealed credentials), recognised by address, authenticated by SIP digest with nonces
// that are single use across instances; carrier gateways recognised by source.
import t from 'tap';
import type { Test } from 'tap';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startCluster } from '../support/cluster.js';
import { secret, tempDir } from '../support/config.js';
import { FileKeyProvider } from '../../src/crypto/index.js';
import { call } from '../support/app.js';
import { waitFor } from '../support/wait.js';
import { TrunkDirectory } from '../../src/cache/trunk-directory.js';
import { TrunkAuth, CarrierRecognizer, parseDigest } from '../../src/voice/guards/trunk-auth.js';
import { policyMetrics } from '../../src/voice/guards/policy-metrics.js';
import { createVoicePolicy } from '../../src/voice/guards/index.js';
import type { App } from '../../src/app.js';

const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** What a SIP client computes for a challenge (RFC 2617 / 7616, qop=auth). */
function answer(
  challenge: string,
  creds: { username: string; password: string },
  method: string,
  uri: string,
  algorithm: 'MD5' | 'SHA-256' = 'MD5',
) {
  const c = parseDigest(challenge) as Record<string, string>;
  const H = algorithm === 'MD5' ? md5 : sha256;
  const ha1 = H(`${creds.username}:${c.realm}:${creds.password}`);
  const ha2 = H(`${method}:${uri}`);
  const cnonce = 'abcdef012345';
  const nc = '00000001';
  const response = H(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${creds.username}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, cnonce="${cnonce}", qop=auth, nc=${nc}`;
}

/** Instances of one deployment share their region keys (production: the KMS or a mounted secret). */
async function sharedKeys(t: Test) {
  const keyDir = tempDir(t, 'keys');
  const provider = new FileKeyProvider(keyDir, false);
  for (const ring of ['NOAM', 'EURO']) await provider.rotate(ring);
  return { crypto: { keyDir, urlSigningKey: secret(Buffer.alloc(32, 9).toString('base64')) } };
}

function guardsOn(app: App) {
  const directory = new TrunkDirectory(app.stores.router, app.bus, log, new Registry());
  const auth = new TrunkAuth({
    state: app.state,
    trunks: directory,
    envelope: app.envelope,
    realm: app.config.voice.digest.realm,
    nonceTtlMs: app.config.voice.digest.nonceTtlMs,
    metrics: policyMetrics(new Registry()),
    log,
  });
  return { directory, auth };
}

t.test('trunks: API, IP and digest authentication across instances, replay refused', async (t) => {
  const [a, b] = (await startCluster(t, 2, { overrides: await sharedKeys(t) })) as unknown as [App, App];
  const op = (await a.accounts.createOperatorKey({ kind: 'system', name: 'test' }, 'op')).token;
  const cust = await call(a, 'POST', '/v1/customers', op, { name: 'Trunk Co', region: 'EURO' });
  t.equal(cust.status, 201);
  const key = (await call(a, 'POST', `/v1/customers/${cust.body.id}/api-keys`, op, { name: 'k' })).body.key;
  const ga = guardsOn(a);
  const gb = guardsOn(b);
  await ga.directory.load();
  await gb.directory.load();

  // Customer scope: own trunk, no limits.
  const refused = await call(a, 'POST', '/v1/trunks', key, {
    name: 'pbx',
    allowedIps: ['203.0.113.7'],
    maxConcurrent: 500,
  });
  t.equal(refused.status, 403, 'customers do not set their own limits');
  const bad = await call(a, 'POST', '/v1/trunks', key, { name: 'pbx', allowedIps: ['203.0.113.300'] });
  t.equal(bad.status, 400);
  t.equal(
    (await call(a, 'POST', '/v1/trunks', key, { name: 'empty' })).status,
    400,
    'no way to authenticate',
  );
  const ipTrunk = await call(a, 'POST', '/v1/trunks', key, {
    name: 'pbx',
    allowedIps: ['203.0.113.7', '198.51.100.0/24'],
  });
  t.equal(ipTrunk.status, 201);
  t.equal(ipTrunk.body.credentials, undefined);
  const digestTrunk = await call(a, 'POST', '/v1/trunks', key, { name: 'softphones', digest: true });
  t.equal(digestTrunk.status, 201);
  const creds = digestTrunk.body.credentials as { username: string; realm: string; password: string };
  t.match(creds, { username: /^t[0-9a-f]{16}$/, realm: a.config.voice.digest.realm });
  t.ok(creds.password.length >= 20);
  const limited = await call(a, 'PATCH', `/v1/trunks/${ipTrunk.body.id}`, op, {
    maxConcurrent: 5,
    maxCps: 2,
  });
  t.same([limited.status, limited.body.maxConcurrent, limited.body.maxCps], [200, 5, 2]);
  t.equal((await call(a, 'PATCH', `/v1/trunks/${ipTrunk.body.id}`, key, { status: 'disabled' })).status, 403);
  const list = await call(b, 'GET', '/v1/trunks', key);
  t.equal(list.body.items.length, 2);
  t.notOk(JSON.stringify(list.body).includes(creds.password), 'password never listed');

  // Stored sealed: neither the password nor an HA1 in the regional database.
  const euro = a.stores.router.region('EURO');
  const row = (
    await euro.query<{ digest_ha1_enc: Buffer }>('SELECT digest_ha1_enc FROM sip_trunks WHERE id = $1', [
      digestTrunk.body.id,
    ])
  ).rows[0];
  const ha1 = md5(`${creds.username}:${creds.realm}:${creds.password}`);
  t.ok(row?.digest_ha1_enc.length);
  t.notOk(row?.digest_ha1_enc.toString('latin1').includes(ha1), 'HA1 not in clear');
  t.notOk(row?.digest_ha1_enc.toString('latin1').includes(creds.password), 'password not stored');

  // Both instances' directories follow the changes (invalidation).
  await waitFor(() => gb.directory.size === 2 && ga.directory.size === 2, { message: 'directories loaded' });
  t.equal(gb.directory.byAddress('203.0.113.7')[0]?.id, ipTrunk.body.id);
  t.equal(
    gb.auth.customerByAddress({ address: '198.51.100.77', port: 5060, transport: 'udp' })?.id,
    ipTrunk.body.id,
    'CIDR',
  );
  t.equal(
    gb.auth.customerByAddress({ address: '::ffff:203.0.113.7', port: 5060, transport: 'udp' })?.id,
    ipTrunk.body.id,
  );
  t.equal(gb.auth.customerByAddress({ address: '203.0.113.8', port: 5060, transport: 'udp' }), undefined);
  t.equal(gb.directory.get(ipTrunk.body.id)?.maxConcurrent, 5);

  // Digest: challenge on A, answer verified on B.
  const uri = 'sip:+442079460000@sip.example.com';
  const ch = await ga.auth.challenge();
  t.same([ch.status, ch.header], [401, 'WWW-Authenticate']);
  t.match(ch.values[0], /algorithm=SHA-256/);
  const md5Challenge = ch.values.find((v) => v.includes('algorithm=MD5')) as string;
  const auth = answer(md5Challenge, creds, 'INVITE', uri);
  const ok = await gb.auth.verify({ method: 'INVITE', header: auth, requestUri: uri });
  t.ok(ok.ok, 'verified on the other instance');
  if (ok.ok) t.equal(ok.trunk.id, digestTrunk.body.id);
  t.same(
    await ga.auth.verify({ method: 'INVITE', header: auth, requestUri: uri }),
    {
      ok: false,
      status: 401,
      reason: 'nonce_invalid',
    },
    'the same answer replayed on any instance is refused',
  );
  t.same(await gb.auth.verify({ method: 'INVITE', header: auth, requestUri: uri }), {
    ok: false,
    status: 401,
    reason: 'nonce_invalid',
  });

  const ch2 = await gb.auth.challenge({ proxy: true });
  t.same([ch2.status, ch2.header], [407, 'Proxy-Authenticate']);
  const sha = answer(ch2.values[0] as string, creds, 'INVITE', uri, 'SHA-256');
  t.ok((await ga.auth.verify({ method: 'INVITE', header: sha, requestUri: uri, proxy: true })).ok, 'SHA-256');

  const ch3 = await ga.auth.challenge();
  const wrong = answer(ch3.values[1] as string, { ...creds, password: 'not-the-password' }, 'INVITE', uri);
  t.same(
    await gb.auth.verify({ method: 'INVITE', header: wrong, requestUri: uri }),
    { ok: false, status: 403, reason: 'bad_response' },
    'wrong password: 403 after the challenge',
  );
  const ch4 = await ga.auth.challenge();
  const other = answer(ch4.values[1] as string, creds, 'INVITE', 'sip:+33142685300@sip.example.com');
  t.same(await ga.auth.verify({ method: 'INVITE', header: other, requestUri: uri }), {
    ok: false,
    status: 403,
    reason: 'uri_mismatch',
  });
  t.same(await ga.auth.verify({ method: 'INVITE', header: 'Basic abc' }), {
    ok: false,
    status: 403,
    reason: 'malformed',
  });

  // Rotation: the old password stops working on every instance.
  const rotated = await call(a, 'POST', `/v1/trunks/${digestTrunk.body.id}/credentials`, key, {});
  t.equal(rotated.status, 200);
  const newCreds = rotated.body.credentials as typeof creds;
  await waitFor(() => gb.directory.byUsername(newCreds.username) !== undefined, { message: 'rotation seen' });
  t.equal(gb.directory.byUsername(creds.username), undefined, 'old username gone');
  const ch5 = await ga.auth.challenge();
  t.ok(
    (
      await gb.auth.verify({
        method: 'INVITE',
        header: answer(ch5.values[1] as string, newCreds, 'INVITE', uri),
        requestUri: uri,
      })
    ).ok,
  );

  // Disabled trunks are not recognised.
  t.equal((await call(a, 'PATCH', `/v1/trunks/${ipTrunk.body.id}`, op, { status: 'disabled' })).status, 200);
  await waitFor(() => gb.directory.byAddress('203.0.113.7').length === 0, {
    message: 'disabled trunk dropped',
  });

  // Verified caller IDs: operators verify, the directory answers on every instance.
  const number = '+442079460123';
  t.equal(
    (await call(a, 'PUT', `/v1/customers/${cust.body.id}/caller-ids/${encodeURIComponent(number)}`, key))
      .status,
    403,
  );
  t.equal(
    (await call(a, 'PUT', `/v1/customers/${cust.body.id}/caller-ids/${encodeURIComponent(number)}`, op))
      .status,
    200,
  );
  await waitFor(() => gb.directory.isVerified(cust.body.id, number), {
    message: 'caller id verified everywhere',
  });
  t.same(
    (await call(b, 'GET', `/v1/customers/${cust.body.id}/caller-ids`, key)).body.items.map(
      (i: { e164: string }) => i.e164,
    ),
    [number],
  );
  t.equal(
    (await call(a, 'DELETE', `/v1/customers/${cust.body.id}/caller-ids/${encodeURIComponent(number)}`, key))
      .status,
    204,
  );
  await waitFor(() => !ga.directory.isVerified(cust.body.id, number), { message: 'removed everywhere' });
  t.equal((await call(a, 'DELETE', `/v1/trunks/${digestTrunk.body.id}`, key)).status, 204);
  const audit = await euro.query<{ action: string }>(
    "SELECT action FROM audit_log WHERE resource IN ('trunk','caller-id') ORDER BY id",
  );
  t.same(
    audit.rows.map((r) => r.action),
    [
      'trunk.create',
      'trunk.create',
      'trunk.update',
      'trunk.credentials.rotate',
      'trunk.update',
      'caller-id.verify',
      'caller-id.remove',
      'trunk.delete',
    ],
  );
});

t.test('carrier gateways recognised by source address, port and transport', async (t) => {
  const [a] = (await startCluster(t, 1)) as unknown as [App];
  const by = { kind: 'system' as const, name: 'test' };
  const c = await a.planService.createCarrier(by, {
    name: 'Acme',
    category: 'tier1_voice',
    countries: ['US'],
    regions: ['NOAM'],
    status: 'active',
    settings: {},
    tier: 1,
    licensed: false,
  });
  const base = { carrierId: c.id, direction: 'inbound' as const, priority: 100, settings: {} };
  await a.planService.createGateway(by, { ...base, host: '192.0.2.10', port: 5060, transport: 'udp' });
  await a.planService.createGateway(by, {
    ...base,
    host: '192.0.2.20',
    port: 5080,
    transport: 'tls',
    matchPort: true,
    matchTransport: true,
  });
  await a.planService.createGateway(by, { ...base, host: '2001:db8::/32', port: 5060, transport: 'udp' });
  await a.planService.createGateway(by, {
    ...base,
    direction: 'outbound',
    host: '192.0.2.30',
    port: 5060,
    transport: 'udp',
  });
  await waitFor(() => a.plan.snapshot.gateways.filter((g) => g.carrierId === c.id).length === 4, {
    message: 'plan reloaded',
  });
  const r = new CarrierRecognizer(a.plan.snapshot);
  t.equal(
    r.match({ address: '192.0.2.10', port: 41234, transport: 'udp' })?.carrier.name,
    'Acme',
    'any port',
  );
  t.equal(r.match({ address: '192.0.2.20', port: 5080, transport: 'tls' })?.carrier.id, c.id);
  t.equal(r.match({ address: '192.0.2.20', port: 5081, transport: 'tls' }), undefined, 'port must match');
  t.equal(
    r.match({ address: '192.0.2.20', port: 5080, transport: 'udp' }),
    undefined,
    'transport must match',
  );
  t.equal(r.match({ address: '2001:db8:1::5', port: 5060, transport: 'udp' })?.carrier.id, c.id, 'IPv6 CIDR');
  t.equal(
    r.match({ address: '192.0.2.30', port: 5060, transport: 'udp' }),
    undefined,
    'outbound-only gateway',
  );
  t.equal(r.match({ address: '192.0.2.99', port: 5060, transport: 'udp' }), undefined);
  await a.planService.updateCarrier(by, c.id, { status: 'disabled' });
  await waitFor(() => a.plan.snapshot.carriers.get(c.id)?.status === 'disabled', { message: 'disabled' });
  t.equal(
    new CarrierRecognizer(a.plan.snapshot).match({ address: '192.0.2.10', port: 5060, transport: 'udp' }),
    undefined,
  );
  const country = await call(
    a,
    'PUT',
    '/v1/voice-countries/GB',
    (await a.accounts.createOperatorKey(by, 'op')).token,
    { requiresLicensed: true, pin: 'country' },
  );
  t.same(country.body, { country: 'GB', requiresLicensed: true, pin: 'country' });
  await waitFor(() => a.plan.snapshot.countries.get('GB')?.requiresLicensed === true, {
    message: 'country rule cached',
  });
});

t.test('createVoicePolicy wires the guards to the plan: pings take a gateway out of routing', async (t) => {
  const [a] = (await startCluster(t, 1, {
    overrides: {
      voice: {
        gatewayHealth: {
          pingIntervalMs: 100,
          pingTimeoutMs: 200,
          failuresBeforeDown: 2,
          successesBeforeUp: 1,
        },
        riskPrefixes: [{ prefix: '1900', reason: 'premium_rate', action: 'block' }],
      },
    },
  })) as unknown as [App];
  const answers = new Map<string, number>();
  const policy = await createVoicePolicy(a, {
    sendOptions: async (g) => answers.get(g.host) ?? 200,
    pingRefreshMs: 50,
  });
  t.teardown(() => policy.stop());
  const by = { kind: 'system' as const, name: 'test' };
  const c = await a.planService.createCarrier(by, {
    name: 'Beta',
    category: 'tier1_voice',
    countries: ['US'],
    regions: ['NOAM'],
    status: 'active',
    settings: {},
  });
  await a.planService.createGateway(by, {
    carrierId: c.id,
    direction: 'both',
    host: '192.0.2.50',
    port: 5060,
    transport: 'udp',
    priority: 1,
    settings: {},
  });
  await a.planService.createRoute(by, {
    kind: 'voice',
    prefix: '1',
    carrierId: c.id,
    priority: 1,
    cost: 0.01,
  });
  await waitFor(() => policy.decider.outbound('+12025550100').ok, { message: 'route usable' });
  t.equal(policy.carriers().match({ address: '192.0.2.50', port: 5060, transport: 'udp' })?.carrier.id, c.id);
  t.match(policy.decider.outbound('+19005550100'), { ok: false, status: 403 });
  answers.set('192.0.2.50', 503);
  await waitFor(() => !policy.decider.outbound('+12025550100').ok, {
    message: 'gateway down after failed pings',
  });
  t.match(policy.decider.outbound('+12025550100'), { ok: false, status: 503, reason: 'gateways_down' });
  answers.set('192.0.2.50', 200);
  await waitFor(() => policy.decider.outbound('+12025550100').ok, { message: 'gateway back' });
  t.match(await a.metrics.metrics(), /voice_gateway_marked_down_total\{carrier="Beta",reason="options"/);
});
