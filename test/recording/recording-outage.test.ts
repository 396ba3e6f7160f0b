// A recording is never lost when the customer's region database is down as the call ends: the store
// fails, the job is queued (metadata only; the audio stays on the media server), and once the
// database is back the recording is stored, its row inserted and the media server's copy deleted.
import t from 'tap';
import { Registry } from 'prom-client';
import { RecordingSpool } from '../../src/recording/recording-spool.js';
import { RecordingStore } from '../../src/recording/recording-store.js';
import type { RecordingHandle } from '../../src/recording/recording.feature.js';
import { secret, tempDir } from '../support/config.js';
import { createDatabase, pgUrl, PG_HOST, PG_PORT } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { startTestApp } from '../support/app.js';
import { startTestEdge } from '../support/edge.js';
import { connectSrf } from '../support/srf.js';
import { waitFor } from '../support/wait.js';
import { channelRms, parseWav } from '../support/freeswitch/audio.js';
import { startFreeSwitch } from '../support/freeswitch/freeswitch.js';
import {
  adminCustomer,
  attachRecordingB2bua,
  mediaConfig,
  runSpeechCaller,
  startToneCallee,
} from '../support/recording.js';

t.test('region database down when the call ends: queued, then stored when it is back', async (t) => {
  const fs = await startFreeSwitch({ heartbeatMs: 500 });
  t.teardown(() => fs.close());
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
  t.teardown(() => proxy.close());
  const db = (url: string) => ({
    url: secret(url),
    poolSize: 4,
    connectTimeoutMs: 1000,
    statementTimeoutMs: 3000,
  });
  const control = await createDatabase(t, 'control');
  const noam = await createDatabase(t, 'noam');
  const app = await startTestApp(t, {
    databases: { control: db(control.url), regions: { NOAM: db(pgUrl(noam.name, proxy.port)) } },
    crypto: { urlSigningKey: secret(Buffer.alloc(32, 7).toString('base64')) },
    retention: { enabled: false },
    media: { ...mediaConfig(fs, edge), fetchAttempts: 1, replayIntervalMs: 200 },
  } as never);
  await app.envelope.provider.rotate('NOAM');
  const handle = app.features.recording as RecordingHandle;
  await waitFor(() => handle.pool?.slots[0]?.state === 'up', { message: 'media server connected' });
  const settings = { enabled: true, channels: 2 as const };
  const customer = await adminCustomer(app, 'Outage', 'NOAM', '+12025550121', settings);
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  const callee = await startToneCallee(t, 8);
  const calls = attachRecordingB2bua(
    srf,
    () => handle.anchor!,
    () => `sip:callee@127.0.0.1:${callee.port}`,
    () => ({ customerId: customer.id, region: 'NOAM', number: customer.e164, settings }),
  );
  const callerDone = runSpeechCaller(edge.sipPort, customer.e164, 3000);
  await waitFor(() => fs.channels().some((c) => c.recorder?.active), { message: 'recording' });
  proxy.cut();
  t.equal((await callerDone).exitCode, 0, 'the call itself is not affected');
  await waitFor(() => calls.outcomes.length === 1, { timeoutMs: 30_000 });
  const outcome = calls.outcomes[0]!.outcome;
  t.match(outcome, { status: 'recorded', reason: 'store_deferred' }, 'queued, not lost');
  t.equal(fs.recordings().length, 1, 'the audio stays on the media server meanwhile');

  proxy.restore();
  await waitFor(() => fs.recordings().length === 0, { timeoutMs: 30_000, message: 'replayed' });
  const { rows } = await app.stores.router
    .region('NOAM')
    .query<{ id: string; channels: number }>('SELECT id, channels FROM recordings WHERE customer_id = $1', [
      customer.id,
    ]);
  t.same(
    rows.map((r) => r.id),
    [outcome.recordingId],
    'stored once, under the id the CDR carries',
  );
  const res = await app.api.inject({
    method: 'GET',
    url: `/v1/recordings/${outcome.recordingId}/content`,
    headers: { authorization: `Bearer ${customer.key}` },
  });
  const wav = parseWav(res.rawPayload);
  t.ok(channelRms(wav, 0) > 500 && channelRms(wav, 1) > 2000, 'both channels carry their side');
});

t.test('a queued recording whose audio is gone from the media server ends, counted', async (t) => {
  const fs = await startFreeSwitch();
  t.teardown(() => fs.close());
  const app = await startTestApp(t, {});
  const metrics = new Registry();
  const dir = tempDir(t, 'rec-spool');
  const server = mediaConfig(fs, { appPort: 0, secret: '' }).servers[0]!;
  const spool = new RecordingSpool({
    dir,
    store: new RecordingStore({
      router: app.stores.router,
      objects: app.objects,
      envelope: app.envelope,
      safetyBufferHours: 24,
    }),
    servers: [server as never],
    intervalMs: 60_000,
    log: app.log,
    metrics,
  });
  t.teardown(() => spool.close());
  spool.add('fs1', 'gone.wav', {
    id: '7f1d0c1e-58a4-4a0e-9d8e-2f4f6f0d9a11',
    customerId: '8e0c2c3a-1d1b-4c39-9a55-4b7c8d1e2f30',
    region: 'NOAM',
    callId: 'call-1',
    number: '+12025550199',
    startedAt: new Date(),
    channels: 2,
    retention: { policy: '30d' },
  });
  t.equal(spool.size, 1);
  await spool.replay();
  t.equal(spool.size, 0, 'the job ends');
  t.match(await metrics.getSingleMetricAsString('recording_store_lost_total'), / 1$/m, 'counted as lost');
});
