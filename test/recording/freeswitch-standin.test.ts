// The FreeSWITCH stand-in driven by drachtio-fsmrf 4.1 through the edge, exactly as in the recorded
// flow (test/fixtures/freeswitch-esl/record-bridge.txt): the commands fsmrf sends match the transcript
// frame by frame, the replies have the transcript's framing, RTP really flows and the recording is a
// two-channel WAV; the SRTP trap of README §7.1 is reproduced, and the workaround fixes it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { createMrf, type FsMediaServer } from '../../src/recording/fsmrf.js';
import { startTestEdge } from '../support/edge.js';
import { connectSrf } from '../support/srf.js';
import { waitFor } from '../support/wait.js';
import { channelRms, parseWav } from '../support/freeswitch/audio.js';
import { startFreeSwitch, type FreeSwitchStandIn } from '../support/freeswitch/freeswitch.js';
import { mediaTarget, startRtpPeer } from '../support/freeswitch/rtp-peer.js';
import { headerNames, normaliseCommand, readTranscript } from '../support/freeswitch/transcript.js';

async function setup(t: Test): Promise<{ fs: FreeSwitchStandIn; ms: FsMediaServer }> {
  const fs = await startFreeSwitch({ heartbeatMs: 200 });
  t.teardown(() => fs.close());
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  const ms = await createMrf(srf).connect({
    address: '127.0.0.1',
    port: fs.eslPort,
    secret: 'ClueCon',
    listenAddress: '127.0.0.1',
    listenPort: 0,
  });
  t.teardown(() => {
    try {
      ms.disconnect();
    } catch {
      /* disconnected by the test */
    }
  });
  return { fs, ms };
}

/** The recorded B2BUA flow: A from the caller's SDP, B 3pcc, modify, bridge, stereo record, hang up. */
async function recordedFlow(
  fs: FreeSwitchStandIn,
  ms: FsMediaServer,
  file: string,
): Promise<{ callerReceived: number; calleeReceived: number }> {
  const caller = await startRtpPeer();
  const callee = await startRtpPeer();
  try {
    const epA = await ms.createEndpoint({ remoteSdp: caller.sdp() });
    const epB = await ms.createEndpoint();
    await epB.modify(callee.sdp());
    await epA.bridge(epB);
    await epA.set('RECORD_STEREO', true);
    await epA.recordSession(file);
    caller.play(mediaTarget(epA.local.sdp), 300);
    callee.play(mediaTarget(epB.local.sdp), 1000);
    await new Promise((r) => setTimeout(r, 1500));
    caller.stop();
    callee.stop();
    await epA.destroy();
    await epB.destroy();
    return { callerReceived: caller.received, calleeReceived: callee.received };
  } finally {
    caller.close();
    callee.close();
    void fs;
  }
}

t.test('fsmrf sends what the transcript shows, and the stand-in answers in its framing', async (t) => {
  const { fs, ms } = await setup(t);
  await waitFor(() =>
    fs.frames.some((f) => f.conn === 'in' && f.bytes.startsWith('Content-Type: api/response')),
  );
  const file = path.join(fs.recordingsDir, 'bridge.wav');
  await recordedFlow(fs, ms, file);
  // A HEARTBEAT on the inbound connection, then exit, as in the transcript.
  await waitFor(() => fs.frames.some((f) => f.bytes.includes('"Event-Name":"HEARTBEAT"')));
  ms.disconnect();
  await waitFor(() => fs.frames.some((f) => f.conn === 'in' && f.bytes.includes('disconnect-notice')));

  const transcript = readTranscript('record-bridge.txt');
  // The outbound connections of the run, in the order they were opened: A then B.
  const outConns = [...new Set(fs.frames.filter((f) => f.conn !== 'in').map((f) => f.conn))];
  t.equal(outConns.length, 2, 'two outbound connections (A and B legs)');
  const commands = (frames: { conn: string; dir: string; bytes: string }[], conn: string): string[] =>
    frames.filter((f) => f.conn === conn && f.dir === 'app->FS').map((f) => normaliseCommand(f.bytes));
  const normaliseEvent = (s: string): string => s.replace(/Event-UUID: <uuid>/, 'Event-UUID: <uuid>');
  t.same(
    commands(fs.frames, 'in').filter((c) => !c.startsWith('api global_')),
    commands(transcript, 'in'),
    'inbound commands match',
  );
  t.same(
    commands(fs.frames, outConns[0]!).map(normaliseEvent),
    commands(transcript, 'out#1').map(normaliseEvent),
    'A-leg commands match the transcript (connect, event json, filter, uuid_bridge, set, record_session, hangup)',
  );
  t.same(
    commands(fs.frames, outConns[1]!),
    commands(transcript, 'out#2'),
    'B-leg commands match the transcript (connect, event json, filter, uuid_set_media_stats, uuid_dump, hangup)',
  );

  // Replies: for every frame kind the transcript shows in full, the same header names in the same order.
  const kind = (conn: string, bytes: string): string => {
    const ct = /Content-Type: (\S+)/.exec(bytes)?.[1] ?? '';
    const reply = /Reply-Text: ([+-]\w+)/.exec(bytes)?.[1] ?? '';
    return `${conn === 'in' ? 'in' : 'out'} ${ct} ${reply}`.trim();
  };
  const shapes = new Map<string, string>();
  for (const f of transcript)
    if (f.dir === 'FS->app' && !f.summarised && !f.bytes.startsWith('Event-Name')) {
      const k = kind(f.conn, f.bytes);
      if (k && !shapes.has(k)) shapes.set(k, headerNames(f.bytes).join(','));
    }
  let compared = 0;
  for (const f of fs.frames.filter((x) => x.dir === 'FS->app' && !x.bytes.startsWith('Event-Name'))) {
    const expected = shapes.get(kind(f.conn, f.bytes));
    if (expected === undefined) continue;
    compared++;
    if (headerNames(f.bytes).join(',') !== expected)
      t.fail(`framing of ${kind(f.conn, f.bytes)}: ${headerNames(f.bytes).join(',')} != ${expected}`);
  }
  t.ok(compared >= 10, `${compared} replies compared with the transcript's framing`);
  const channelData = fs.frames.find((f) => f.bytes.startsWith('Event-Name: CHANNEL_DATA'));
  t.match(
    channelData?.bytes,
    /Content-Type: command\/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n$/,
  );
  const sofia = fs.frames.find((f) => f.bytes.includes('drachtio_mrf\tprofile'));
  t.match(sofia?.bytes, /^Content-Type: api\/response\nContent-Length: \d+\n\n/);

  // The default configuration reproduces the trap: the B-leg negotiated SRTP, the callee is silent.
  const wav = parseWav(readFileSync(file));
  t.equal(wav.channels, 2);
  t.equal(wav.sampleRate, 8000);
  t.ok(channelRms(wav, 0) > 1000, `caller channel carries audio (rms ${channelRms(wav, 0).toFixed(0)})`);
  t.ok(
    channelRms(wav, 1) < 50,
    `callee channel silent under default SRTP (rms ${channelRms(wav, 1).toFixed(0)})`,
  );
});

t.test('with rtp_secure_media_inbound=forbidden both channels carry audio and RTP is relayed', async (t) => {
  const { fs, ms } = await setup(t);
  t.equal(await ms.api('global_setvar rtp_secure_media_inbound=forbidden'), '+OK');
  const file = path.join(fs.recordingsDir, 'both.wav');
  const relayed = await recordedFlow(fs, ms, file);
  ms.disconnect();
  const wav = parseWav(readFileSync(file));
  const left = channelRms(wav, 0);
  const right = channelRms(wav, 1);
  t.ok(left > 1000, `caller channel rms ${left.toFixed(0)}`);
  t.ok(right > 1000, `callee channel rms ${right.toFixed(0)}`);
  t.ok(wav.durationMs > 1000 && wav.durationMs < 3000, `length ${wav.durationMs} ms matches ~1.5 s of media`);
  t.ok(relayed.callerReceived > 20, `the caller heard the callee (${relayed.callerReceived} packets)`);
  t.ok(relayed.calleeReceived > 20, `the callee heard the caller (${relayed.calleeReceived} packets)`);
});

t.test('uuid_record mask, pause, resume, stop and the error replies', async (t) => {
  const { fs, ms } = await setup(t);
  await ms.api('global_setvar rtp_secure_media_inbound=forbidden');
  const caller = await startRtpPeer();
  const callee = await startRtpPeer();
  t.teardown(() => {
    caller.close();
    callee.close();
  });
  const epA = await ms.createEndpoint({ remoteSdp: caller.sdp() });
  const epB = await ms.createEndpoint();
  await epB.modify(callee.sdp());
  await epA.bridge(epB);
  await epA.set('RECORD_STEREO', true);
  const file = path.join(fs.recordingsDir, 'control.wav');
  await epA.recordSession(file);
  const recordingFrom = Date.now();
  caller.play(mediaTarget(epA.local.sdp), 300);
  callee.play(mediaTarget(epB.local.sdp), 1000);
  const rec = async (action: string): Promise<string> =>
    (await epA.api('uuid_record', `${epA.uuid} ${action} ${file}`)).getBody();
  await new Promise((r) => setTimeout(r, 600));
  t.equal(await rec('mask'), '+OK Success\n');
  await new Promise((r) => setTimeout(r, 500));
  t.equal(await rec('unmask'), '+OK Success\n');
  await new Promise((r) => setTimeout(r, 400));
  t.equal(await rec('pause'), '+OK Success\n');
  await new Promise((r) => setTimeout(r, 800));
  t.equal(await rec('resume'), '+OK Success\n');
  await new Promise((r) => setTimeout(r, 400));
  const recordedWallMs = Date.now() - recordingFrom;
  t.equal(await rec('stop'), '+OK Success\n');
  t.equal(await rec('stop'), '-ERR Cannot stop record session!\n', 'stop when not recording');
  t.equal(
    (await epA.api('uuid_record', `00000000-0000-4000-8000-000000000000 stop ${file}`)).getBody(),
    '-ERR Cannot locate session!\n',
  );
  await epA.destroy();
  await epB.destroy();
  ms.disconnect();
  const wav = parseWav(readFileSync(file));
  // ~2.5 s of wall time, of which 0.8 s paused (absent) and 0.5 s masked (zeros).
  // The 0.8 s pause (plus the time its api round trips took) is missing from the file.
  t.ok(
    wav.durationMs > 1300 && wav.durationMs < recordedWallMs - 500,
    `paused time is absent: ${wav.durationMs} ms of ${recordedWallMs} ms`,
  );
  let zeroRun = 0;
  let longest = 0;
  for (let i = 0; i < wav.samples.length; i += 2) {
    zeroRun = wav.samples[i] === 0 && wav.samples[i + 1] === 0 ? zeroRun + 1 : 0;
    longest = Math.max(longest, zeroRun);
  }
  t.ok(longest >= 8000 * 0.35, `the masked stretch is zeros on both channels (${longest} frames)`);
});

t.test('failure modes: refusing, Max-Sessions, wrong password, ESL down', async (t) => {
  const { fs, ms } = await setup(t);
  fs.refuseInvites = true;
  await t.rejects(ms.createEndpoint(), 'a refused INVITE fails the endpoint');
  fs.refuseInvites = false;
  fs.maxSessions = 0;
  await t.rejects(ms.createEndpoint(), 'Max-Sessions reached fails the endpoint');
  t.equal(fs.refused, 2);
  fs.maxSessions = 10;
  fs.heartbeatNow();
  await waitFor(() => ms.maxSessions === 10, { message: 'heartbeat read' });
  t.equal(ms.currentSessions, 0);
  const ended = new Promise<void>((resolve) => ms.on('end', () => resolve()));
  fs.eslDown();
  await ended;
  t.pass('the media server reports the lost connection');
  fs.eslUp();
});
