// The media-server pool against two FreeSWITCH stand-ins over real TCP/UDP: least-loaded choice from
// HEARTBEAT Session-Count/Max-Sessions, full servers skipped, an event socket that goes down taken
// out and reconnected, a wrong password bounded by the connect timeout, and /readyz entries.
import pino from 'pino';
import { Registry } from 'prom-client';
import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import { MediaSection, type MediaConfig } from '../../src/config/sections/media.js';
import { MediaPool, type MediaServerSlot } from '../../src/recording/media-pool.js';
import { call, startTestApp } from '../support/app.js';
import { secret } from '../support/config.js';
import { startTestEdge } from '../support/edge.js';
import { startFreeSwitch, type FreeSwitchStandIn } from '../support/freeswitch/freeswitch.js';
import { mediaConfig } from '../support/recording.js';
import { connectSrf } from '../support/srf.js';
import { waitFor } from '../support/wait.js';

const nameOf = (p: ReturnType<MediaPool['pick']>): string | undefined =>
  'slot' in p ? p.slot.name : undefined;

function serverOf(fs: FreeSwitchStandIn, name: string, password = fs.password) {
  return {
    ...mediaConfig(fs, { appPort: 0, secret: '' }).servers[0]!,
    name,
    eslSecret: secret(password),
  };
}

t.test('least-loaded choice, full servers skipped, reconnect after the event socket drops', async (t) => {
  const fsA = await startFreeSwitch({ heartbeatMs: 100 });
  const fsB = await startFreeSwitch({ heartbeatMs: 100 });
  const fsC = await startFreeSwitch({ heartbeatMs: 100 });
  t.teardown(() => Promise.all([fsA.close(), fsB.close(), fsC.close()]));
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  const config = Value.Default(MediaSection, {
    servers: [serverOf(fsA, 'a'), serverOf(fsB, 'b'), serverOf(fsC, 'c', 'wrong-password')],
    connectTimeoutMs: 1000,
    reconnectMs: 100,
    heartbeatStaleMs: 5000,
  }) as MediaConfig;
  const metrics = new Registry();
  const pool = new MediaPool({ config, srf, log: pino({ level: 'silent' }), metrics });
  t.teardown(() => pool.close());
  pool.start();
  const [a, b, c] = pool.slots as [MediaServerSlot, MediaServerSlot, MediaServerSlot];
  await waitFor(() => a.state === 'up' && b.state === 'up', { message: 'a and b connected' });
  t.equal(
    fsA.globals.get('rtp_secure_media_inbound'),
    'forbidden',
    'SRTP forbidden on connect (README §7.1)',
  );

  await waitFor(() => c.lastError?.includes('password rejected'), { message: 'c times out' });
  t.not(c.state, 'up', 'a server refusing the password is not in the pool');
  t.throws(() => pool.check(c), 'its /readyz entry fails');

  // a: 2 sessions of 4; b: 0 of 1000 → b.
  fsA.maxSessions = 4;
  const epsA = [await a.ms!.createEndpoint(), await a.ms!.createEndpoint()];
  fsA.heartbeatNow();
  await waitFor(() => a.sessions === 2 && a.maxSessions === 4, { message: 'a heartbeat' });
  t.equal(nameOf(pool.pick()), 'b', 'the less loaded server is chosen');
  // b: 1 of 1 (full) → a.
  fsB.maxSessions = 1;
  const epB = await b.ms!.createEndpoint();
  fsB.heartbeatNow();
  await waitFor(() => b.full, { message: 'b full' });
  t.equal(nameOf(pool.pick()), 'a', 'a full server is skipped');
  t.throws(() => pool.check(b), /full/);
  // a full as well → none.
  fsA.maxSessions = 2;
  fsA.heartbeatNow();
  await waitFor(() => a.full, { message: 'a full' });
  t.same(pool.pick(), { unavailable: 'all_full' });
  for (const ep of [...epsA, epB]) await ep.destroy();
  fsA.heartbeatNow();
  fsB.heartbeatNow();
  await waitFor(() => !a.full && !b.full, { message: 'sessions released' });

  // a's event socket drops: out of the pool, then back after reconnecting.
  fsA.eslDown();
  await waitFor(() => a.state !== 'up', { message: 'a down' });
  t.equal(nameOf(pool.pick()), 'b', 'a server that went down is not chosen');
  t.throws(() => pool.check(a));
  fsA.eslUp();
  await waitFor(() => a.state === 'up', { message: 'a reconnected' });
  t.doesNotThrow(() => pool.check(a), 'its /readyz entry recovers');
  const up = (await metrics.getSingleMetricAsString('media_server_up')).split('\n');
  t.ok(
    up.some((l) => l.includes('server="a"') && l.endsWith(' 1')),
    'media_server_up{server="a"} 1',
  );
  const connects = await metrics.getSingleMetricAsString('media_server_connects_total');
  t.match(connects, /server="c",outcome="failed"\} [1-9]/, 'failed connections counted');
});

t.test('/readyz lists each media server (non-critical) and the drachtio connection', async (t) => {
  const fs = await startFreeSwitch({ heartbeatMs: 200 });
  t.teardown(() => fs.close());
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const app = await startTestApp(t, { media: mediaConfig(fs, edge) } as never);
  const checks = async () => (await call(app, 'GET', '/readyz')).body;
  await waitFor(
    async () => {
      const body = await checks();
      return body.checks?.find((c: { name: string; ok: boolean }) => c.name === 'media:fs1')?.ok;
    },
    { message: 'media:fs1 ready' },
  );
  fs.eslDown();
  await waitFor(
    async () => {
      const body = await checks();
      const entry = body.checks?.find((c: { name: string }) => c.name === 'media:fs1');
      return entry && !entry.ok && body.ready !== false ? body : undefined;
    },
    { message: 'media:fs1 failing while the instance stays ready' },
  );
  const body = await checks();
  t.ok(
    body.checks.find((c: { name: string; ok: boolean }) => c.name === 'media:drachtio')?.ok,
    'connected to drachtio',
  );
  t.pass('a media server down does not make the instance unready');
});
