// A recording is never lost when the customer's region database is down as the call ends: the store
// fails, the job is queued (metadata only; the audio stays on the media server), and once the
// database is back the recording is stored, its row inserted and the media server's copy deleted.
import t from 'tap';
import type { RecordingHandle } from '../../src/recording/recording.feature.js';
import { secret } from '../support/config.js';
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
