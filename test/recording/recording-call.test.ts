// Recorded calls end to end: sipp caller (speech) and callee (a tone) through the edge, a B2BUA that
// puts the call through the daemon's MediaAnchor, the FreeSWITCH stand-in as media server, real
// PostgreSQL and Redis. The recording is two-channel, each channel carries its side, it is stored
// sealed in the customer's region, downloads as a WAV as long as the call, and the media server's
// copy is gone; a refusing media server leaves the call connected and unrecorded; live pause/resume
// works through another instance's API.
import t, { type Test } from 'tap';
import type { App } from '../../src/app.js';
import type { RecordingHandle } from '../../src/recording/recording.feature.js';
import type { RecordingSettings } from '../../src/accounts/number-settings.js';
import { call } from '../support/app.js';
import { startCluster } from '../support/cluster.js';
import { startTestEdge, type TestEdge } from '../support/edge.js';
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
  type AnchoredB2bua,
} from '../support/recording.js';

const RECORD: RecordingSettings = { enabled: true, channels: 2 };

async function setup(t: Test, instances = 1) {
  const fs = await startFreeSwitch({ heartbeatMs: 500 });
  t.teardown(() => fs.close());
  const edge: TestEdge = await startTestEdge();
  t.teardown(() => edge.close());
  const apps = await startCluster(t, instances, {
    overrides: { media: mediaConfig(fs, edge), retention: { enabled: false } },
  });
  const app = apps[0] as App;
  await app.envelope.provider.rotate('NOAM');
  const handle = app.features.recording as RecordingHandle;
  await waitFor(() => handle.pool?.slots[0]?.state === 'up', { message: 'media server connected' });
  return { fs, edge, app, apps, handle };
}

function b2bua(
  srf: Awaited<ReturnType<typeof connectSrf>>['srf'],
  handle: RecordingHandle,
  calleePort: number,
  customer: { id: string; e164: string },
  settings: RecordingSettings = RECORD,
): AnchoredB2bua {
  return attachRecordingB2bua(
    srf,
    () => handle.anchor!,
    () => `sip:callee@127.0.0.1:${calleePort}`,
    () => ({ customerId: customer.id, region: 'NOAM', number: customer.e164, settings }),
  );
}

async function unrecordedCount(app: App, reason: string): Promise<number> {
  const metric = app.metrics.getSingleMetric('recording_unrecorded_total') as unknown as {
    get(): Promise<{ values: { labels: Record<string, string>; value: number }[] }>;
  };
  return (await metric.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

t.test(
  'a recorded call: two channels with each side, sealed in the region, the server copy gone',
  async (t) => {
    const { fs, edge, app, handle } = await setup(t);
    const customer = await adminCustomer(app, 'Recorded', 'NOAM', '+12025550111', RECORD);
    const { srf } = await connectSrf(edge.appPort, edge.secret);
    t.teardown(() => srf.disconnect());
    const callee = await startToneCallee(t, 10);
    const calls = b2bua(srf, handle, callee.port, customer);

    const caller = await runSpeechCaller(edge.sipPort, customer.e164, 4000);
    t.equal(caller.exitCode, 0, 'the caller completed its call');
    t.equal((await callee.done).exitCode, 0, 'the callee completed its call');
    await waitFor(() => calls.outcomes.length === 1, {
      timeoutMs: 30_000,
      message: 'the recording released',
    });
    const outcome = calls.outcomes[0]!.outcome;
    t.equal(outcome.status, 'recorded', `outcome ${JSON.stringify(outcome)}`);
    const id = outcome.recordingId!;

    const { rows } = await app.stores.router.region('NOAM').query<{
      customer_id: string;
      channels: number;
      object_key: string;
      duration_ms: number;
      size_bytes: string;
      expires_at: Date;
    }>('SELECT * FROM recordings WHERE id = $1', [id]);
    const row = rows[0]!;
    t.equal(row.customer_id, customer.id, "the row is in the customer's region database");
    t.equal(row.channels, 2);
    const days = (row.expires_at.getTime() - Date.now()) / 86_400_000;
    t.ok(
      days > 29.9 && days < 32,
      `expiry from the number's 30-day policy plus buffer (${days.toFixed(2)} days)`,
    );

    const stored = await app.objects.get('NOAM', row.object_key);
    t.not(stored.subarray(0, 4).toString('latin1'), 'RIFF', 'the stored bytes are not a WAV');
    t.equal(stored.indexOf(Buffer.from('WAVEfmt')), -1, 'no WAV header anywhere in the stored object');

    const res = await app.api.inject({
      method: 'GET',
      url: `/v1/recordings/${id}/content`,
      headers: { authorization: `Bearer ${customer.key}` },
    });
    t.equal(res.statusCode, 200);
    const wav = parseWav(res.rawPayload);
    t.equal(wav.channels, 2, 'two channels');
    t.equal(wav.sampleRate, 8000);
    t.equal(wav.bitsPerSample, 16);
    t.equal(res.rawPayload.length, Number(row.size_bytes), 'size recorded in the row');
    // The caller hung up 4 s after its ACK; recording starts right after the callee answered.
    t.ok(
      wav.durationMs > 3000 && wav.durationMs < 5500,
      `the WAV lasts as long as the call (${wav.durationMs} ms)`,
    );
    t.ok(Math.abs(row.duration_ms - wav.durationMs) < 50, 'duration recorded in the row');
    const left = channelRms(wav, 0);
    const right = channelRms(wav, 1);
    t.ok(left > 500, `left channel carries the caller's speech (rms ${left.toFixed(0)})`);
    t.ok(right > 2000, `right channel carries the callee's tone (rms ${right.toFixed(0)})`);
    t.same(fs.recordings(), [], "the media server's copy is gone");
  },
);

t.test('a refusing media server: the call connects unrecorded and says why', async (t) => {
  const { fs, edge, app, handle } = await setup(t);
  const customer = await adminCustomer(app, 'Refused', 'NOAM', '+12025550112', RECORD);
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  fs.refuseInvites = true;
  const callee = await startToneCallee(t, 4);
  const calls = b2bua(srf, handle, callee.port, customer);
  const caller = await runSpeechCaller(edge.sipPort, customer.e164, 1000);
  t.equal(caller.exitCode, 0, 'the call connected and completed');
  t.equal((await callee.done).exitCode, 0, 'the callee answered');
  await waitFor(() => calls.outcomes.length === 1);
  t.same(calls.outcomes[0]!.outcome, { status: 'unrecorded', reason: 'media_server_refused' });
  t.equal(await unrecordedCount(app, 'media_server_refused'), 1, 'the alert metric counts it');
  t.equal(fs.refused, 1);
  t.same(fs.recordings(), []);
});

t.test('live pause and resume through another instance', async (t) => {
  const { fs, edge, apps, handle } = await setup(t, 2);
  const [app1, app2] = apps as unknown as [App, App];
  const customer = await adminCustomer(app1, 'Live', 'NOAM', '+12025550113', RECORD);
  const other = await adminCustomer(app1, 'Other', 'NOAM', '+12025550114', RECORD);
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  const callee = await startToneCallee(t, 12);
  const calls = b2bua(srf, handle, callee.port, customer);
  const callerDone = runSpeechCaller(edge.sipPort, customer.e164, 5000);
  const recorder = () => fs.channels().find((c) => c.recorder?.active)?.recorder;
  await waitFor(() => calls.callIds.length === 1 && recorder(), { timeoutMs: 20_000, message: 'recording' });
  const callId = calls.callIds[0]!;
  const control = (app: App, key: string, action: string) =>
    call(app, 'POST', `/v1/calls/${encodeURIComponent(callId)}/recording`, key, { action });

  t.equal((await control(app2, other.key, 'pause')).status, 404, "another customer's key: not found");
  t.equal((await control(app2, customer.key, 'resume')).status, 409, 'resume while recording: conflict');
  const paused = await control(app2, customer.key, 'pause');
  t.equal(paused.status, 204, `pause through instance 2 (${JSON.stringify(paused.body)})`);
  t.equal(recorder()?.paused, true, 'the media server paused the recording');
  await new Promise((r) => setTimeout(r, 1500));
  t.equal((await control(app2, customer.key, 'resume')).status, 204, 'resume through instance 2');
  t.equal(recorder()?.paused, false, 'the media server resumed the recording');
  t.equal((await control(app1, customer.key, 'mask')).status, 204, 'mask on the owning instance');
  t.equal((await control(app1, customer.key, 'unmask')).status, 204);

  t.equal((await callerDone).exitCode, 0);
  await waitFor(() => calls.outcomes.length === 1, { timeoutMs: 30_000 });
  const outcome = calls.outcomes[0]!.outcome;
  t.equal(outcome.status, 'recorded');
  // Downloaded where it was stored: each test instance has its own file key provider.
  const res = await app1.api.inject({
    method: 'GET',
    url: `/v1/recordings/${outcome.recordingId}/content`,
    headers: { authorization: `Bearer ${customer.key}` },
  });
  const wav = parseWav(res.rawPayload);
  t.ok(
    wav.durationMs < 4500,
    `the paused 1.5 s is not in the recording (${wav.durationMs} ms of a 5 s call)`,
  );
  const audit = await app1.stores.router
    .region('NOAM')
    .query<{ action: string }>("SELECT action FROM audit_log WHERE resource = 'call' ORDER BY id");
  t.same(
    audit.rows.map((r) => r.action),
    ['recording.pause', 'recording.resume', 'recording.mask', 'recording.unmask'],
    'each control audited',
  );
});

t.test(
  'a consent prompt is played to both parties before they are bridged and recorded (mono)',
  async (t) => {
    const { fs, edge, app, handle } = await setup(t);
    const settings: RecordingSettings = {
      enabled: true,
      channels: 1,
      consentPrompt: 'ivr/ivr-recording_notice.wav',
    };
    const customer = await adminCustomer(app, 'Consent', 'NOAM', '+12025550115', settings);
    const { srf } = await connectSrf(edge.appPort, edge.secret);
    t.teardown(() => srf.disconnect());
    const callee = await startToneCallee(t, 8);
    const calls = b2bua(srf, handle, callee.port, customer, settings);
    const caller = await runSpeechCaller(edge.sipPort, customer.e164, 3000);
    t.equal(caller.exitCode, 0);
    await waitFor(() => calls.outcomes.length === 1, { timeoutMs: 30_000 });
    const outcome = calls.outcomes[0]!.outcome;
    t.equal(outcome.status, 'recorded', JSON.stringify(outcome));

    // On the wire: playback on both channels, then uuid_bridge, then record_session.
    const sent = fs.frames.filter((f) => f.dir === 'app->FS').map((f) => ({ conn: f.conn, bytes: f.bytes }));
    const playbacks = sent.filter((f) =>
      /execute-app-name: playback\nexecute-app-arg: ivr\/ivr-recording_notice.wav\n/.test(f.bytes),
    );
    t.equal(new Set(playbacks.map((p) => p.conn)).size, 2, 'the prompt played on both legs');
    const at = (re: RegExp) => sent.findIndex((f) => re.test(f.bytes));
    const lastPlayback = Math.max(...playbacks.map((p) => sent.indexOf(p)));
    t.ok(lastPlayback < at(/^api uuid_bridge /), 'bridged after the prompt');
    t.ok(at(/^api uuid_bridge /) < at(/execute-app-name: record_session/), 'recorded after the bridge');
    t.equal(at(/RECORD_STEREO/), -1, 'one channel: no RECORD_STEREO');

    const res = await app.api.inject({
      method: 'GET',
      url: `/v1/recordings/${outcome.recordingId}/content`,
      headers: { authorization: `Bearer ${customer.key}` },
    });
    const wav = parseWav(res.rawPayload);
    t.equal(wav.channels, 1, 'a mono recording');
    t.ok(channelRms(wav, 0) > 1000, `the mix carries audio (rms ${channelRms(wav, 0).toFixed(0)})`);
    const { rows } = await app.stores.router
      .region('NOAM')
      .query<{ channels: number }>('SELECT channels FROM recordings WHERE id = $1', [outcome.recordingId]);
    t.equal(rows[0]?.channels, 1);

    // A prompt that is not one playback token is refused by the API and never sent to the media server.
    const refused = await call(app, 'POST', '/v1/numbers', customer.op, {
      e164: '+12025550116',
      customerId: customer.id,
      recording: { enabled: true, channels: 2, consentPrompt: 'x\nexecute-app-name: hangup' },
    });
    t.equal(refused.status, 400, 'the API rejects a prompt with control characters');
    const bad = await handle.anchor!.anchor({
      callId: 'bad-prompt',
      customerId: customer.id,
      region: 'NOAM',
      direction: 'inbound',
      number: customer.e164,
      settings: { enabled: true, channels: 2, consentPrompt: 'x\nexecute-app-name: hangup' },
      callerSdp: 'v=0\r\n',
      log: app.log,
    });
    t.same(bad, { unrecorded: 'consent_prompt_invalid' });
  },
);
