// Recording inside the real call flow: a carrier's sipp (speech) calls a DID with recording on
// through the embedded edge, voice's B2BUA anchors the call on the FreeSWITCH stand-in (through the
// recording feature's MediaAnchor) and bridges to the customer's sipp (a tone). The CDR carries the
// recording outcome; a refusing media server leaves the call connected and unrecorded, and the CDR
// says why.
import t, { type Test } from 'tap';
import type { RecordingHandle } from '../../src/recording/recording.feature.js';
import { channelRms, parseWav } from '../support/freeswitch/audio.js';
import { startFreeSwitch } from '../support/freeswitch/freeswitch.js';
import { mediaConfig, runSpeechCaller, startToneCallee } from '../support/recording.js';
import { addCarrier, addCustomer, addNumber, startVoiceApp, waitCdr } from '../support/voice.js';
import { waitFor } from '../support/wait.js';

async function setup(t: Test) {
  const fs = await startFreeSwitch({ heartbeatMs: 500 });
  t.teardown(() => fs.close());
  // The media servers are reached through the embedded edge: no media.drachtio secret configured.
  const media = { ...mediaConfig(fs, { appPort: 0, secret: '' }), drachtio: {} };
  const { app, sipPort } = await startVoiceApp(t, {
    regions: ['NOAM'],
    overrides: { media, retention: { enabled: false } },
  });
  await app.envelope.provider.rotate('NOAM');
  const handle = app.features.recording as RecordingHandle;
  await waitFor(() => handle.pool?.slots[0]?.state === 'up', { message: 'media server connected' });
  const customer = await addCustomer(app, 'NOAM');
  const carrier = await addCarrier(app, 'Speech Carrier');
  return { fs, app, sipPort, customer, carrier };
}

t.test('an inbound call to a recorded DID through the voice flow: CDR says recorded', async (t) => {
  const { fs, app, sipPort, customer, carrier } = await setup(t);
  const callee = await startToneCallee(t, 10);
  const number = '+12025550131';
  await addNumber(
    app,
    customer.id,
    number,
    {
      destinations: [{ type: 'sip', uri: `sip:alice@127.0.0.1:${callee.port}`, timeoutSec: 10 }],
      strategy: 'sequential',
    },
    { recording: { enabled: true, channels: 2 } },
  );
  const caller = await runSpeechCaller(sipPort, number, 3000, { localPort: carrier.port });
  t.equal(caller.exitCode, 0, `the caller completed its call ${caller.errors}`);
  t.equal((await callee.done).exitCode, 0, 'the callee completed its call');
  const [cdr] = await waitCdr(app, 'NOAM', number);
  t.equal(cdr?.disposition, 'answered');
  t.equal(cdr?.recording_status, 'recorded', `CDR recording ${JSON.stringify(cdr?.recording)}`);
  const recordingId = cdr?.recording?.recordingId as string;
  const res = await app.api.inject({
    method: 'GET',
    url: `/v1/recordings/${recordingId}/content`,
    headers: { authorization: `Bearer ${customer.key}` },
  });
  t.equal(res.statusCode, 200);
  const wav = parseWav(res.rawPayload);
  t.equal(wav.channels, 2);
  t.ok(wav.durationMs > 2200 && wav.durationMs < 4500, `WAV ${wav.durationMs} ms for a 3 s call`);
  t.ok(channelRms(wav, 0) > 500, `caller channel rms ${channelRms(wav, 0).toFixed(0)}`);
  t.ok(channelRms(wav, 1) > 2000, `callee channel rms ${channelRms(wav, 1).toFixed(0)}`);
  t.same(fs.recordings(), [], "the media server's copy is gone");
});

t.test('a refusing media server in the voice flow: connected, unrecorded, the CDR says why', async (t) => {
  const { fs, app, sipPort, customer, carrier } = await setup(t);
  fs.refuseInvites = true;
  const callee = await startToneCallee(t, 4);
  const number = '+12025550132';
  await addNumber(
    app,
    customer.id,
    number,
    {
      destinations: [{ type: 'sip', uri: `sip:alice@127.0.0.1:${callee.port}`, timeoutSec: 10 }],
      strategy: 'sequential',
    },
    { recording: { enabled: true, channels: 2 } },
  );
  const caller = await runSpeechCaller(sipPort, number, 1000, { localPort: carrier.port });
  t.equal(caller.exitCode, 0, 'the call connected and completed');
  t.equal((await callee.done).exitCode, 0);
  const [cdr] = await waitCdr(app, 'NOAM', number);
  t.equal(cdr?.disposition, 'answered', 'the call connected');
  t.equal(cdr?.recording_status, 'unrecorded');
  t.same(cdr?.recording, { status: 'unrecorded', reason: 'media_server_refused' }, 'the CDR says why');
  t.equal(fs.refused, 1);
});
