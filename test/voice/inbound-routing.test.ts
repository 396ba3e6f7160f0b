// Inbound routing decisions through the edge with sipp: unknown and suspended numbers, sequential
// failover after a ring timeout, forwarding to a number out through a carrier, and the media
// anchor seam (a test anchor standing in for the recording feature).
import t from 'tap';
import { runSipp, startSipp } from '../support/sipp.js';
import type { Feature } from '../../src/feature.js';
import type { MediaAnchor } from '../../src/voice/media-anchor.js';
import {
  addCarrier,
  addCustomer,
  addNumber,
  settled,
  startVoiceApp,
  uacKeys,
  voiceScenario,
  waitCdr,
} from '../support/voice.js';

const ANCHOR_SDP = (port: number) =>
  [
    'v=0',
    'o=anchor 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');

// The recording feature's seam, exercised with a stand-in anchor: it records what it was asked.
const anchorLog: string[] = [];
const testAnchor: Feature = {
  name: 'test-anchor',
  async start(ctx) {
    const anchor: MediaAnchor = {
      async anchor(req) {
        anchorLog.push(`anchor ${req.number} ${req.direction}`);
        if (req.number.endsWith('9')) return { unrecorded: 'no-media-server' };
        return {
          offerSdp: ANCHOR_SDP(31000),
          async connect(calleeSdp) {
            anchorLog.push(`connect ${calleeSdp.includes('o=callee') ? 'callee-sdp' : 'other'}`);
            return ANCHOR_SDP(32000);
          },
          async control() {},
          async release() {
            anchorLog.push('release');
            return { status: 'recorded', recordingId: '7d1e5c3e-51a4-4c1e-9d3a-000000000001' };
          },
        };
      },
    };
    ctx.provide('mediaAnchor', anchor);
    return {};
  },
};

t.test('inbound routing', async (t) => {
  const { app, sipPort } = await startVoiceApp(t, { regions: ['NOAM'], extraFeatures: [testAnchor] });
  const cust = await addCustomer(app, 'NOAM');
  const inbound = await addCarrier(app, 'Origin Carrier', { direction: 'inbound' });
  const caller = (service: string, scenario: { file: string }) =>
    runSipp({
      scenario,
      target: { port: sipPort },
      localPort: inbound.port,
      service,
      keys: uacKeys(),
      calls: 1,
      timeoutMs: 40_000,
    });

  await t.test('unknown number: 404; suspended: 480 with a CDR', async (t) => {
    const r = await caller('+12025550199', voiceScenario(t, 'uac_expect_fail.xml', { status: 404 }));
    t.equal(r.exitCode, 0, `404 for an unknown number ${r.errors}`);
    await addNumber(
      app,
      cust.id,
      '+12025550111',
      { destinations: [{ type: 'sip', uri: 'sip:x@127.0.0.1:9' }], strategy: 'sequential' },
      { status: 'suspended' },
    );
    const s = await caller('+12025550111', voiceScenario(t, 'uac_expect_fail.xml', { status: 480 }));
    t.equal(s.exitCode, 0, `480 for a suspended number ${s.errors}`);
    const [cdr] = await waitCdr(app, 'NOAM', '+12025550111');
    t.equal(cdr?.disposition, 'rejected');
    t.equal(cdr?.final_status, 480);
    t.equal(cdr?.end_reason, 'suspended');
  });

  await t.test('first destination rings out its timeout, the second answers', async (t) => {
    const first = await startSipp({
      scenario: voiceScenario(t, 'uas_ring_noanswer.xml'),
      calls: 1,
      timeoutMs: 40_000,
    });
    const second = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      calls: 1,
      timeoutMs: 40_000,
    });
    await Promise.all([settled(first), settled(second)]);
    await addNumber(app, cust.id, '+12025550112', {
      destinations: [
        { type: 'sip', uri: `sip:first@127.0.0.1:${first.port}`, timeoutSec: 5 },
        { type: 'sip', uri: `sip:second@127.0.0.1:${second.port}`, timeoutSec: 10 },
      ],
      strategy: 'sequential',
    });
    const r = await caller('+12025550112', voiceScenario(t, 'uac.xml'));
    t.equal(r.exitCode, 0, `answered by the second ${r.errors}`);
    t.equal((await first.done).exitCode, 0, 'first was cancelled after its timeout');
    t.equal((await second.done).exitCode, 0);
    const [cdr] = await waitCdr(app, 'NOAM', '+12025550112');
    t.equal(cdr?.disposition, 'answered');
    t.equal(cdr?.attempts.length, 2);
    t.equal(cdr?.attempts[0].outcome, 'no-answer');
    t.ok(cdr?.attempts[0].provisionalAt, 'first rang');
    t.equal(cdr?.attempts[1].status, 200);
    const rang = Date.parse(cdr?.attempts[1].startedAt) - Date.parse(cdr?.attempts[0].startedAt);
    t.ok(rang >= 4900 && rang < 15_000, `second tried after the first's 5 s timeout (${rang} ms)`);
  });

  await t.test(
    'simultaneous ring: both destinations ring, the first to answer wins, the other is cancelled',
    async (t) => {
      const ringer = await startSipp({
        scenario: voiceScenario(t, 'uas_ring_noanswer.xml'),
        calls: 1,
        timeoutMs: 40_000,
      });
      const answerer = await startSipp({
        scenario: voiceScenario(t, 'uas_answer.xml'),
        calls: 1,
        timeoutMs: 40_000,
      });
      await Promise.all([settled(ringer), settled(answerer)]);
      await addNumber(app, cust.id, '+12025550115', {
        destinations: [
          { type: 'sip', uri: `sip:a@127.0.0.1:${ringer.port}`, timeoutSec: 20 },
          { type: 'sip', uri: `sip:b@127.0.0.1:${answerer.port}`, timeoutSec: 20 },
        ],
        strategy: 'simultaneous',
      });
      const r = await caller('+12025550115', voiceScenario(t, 'uac.xml'));
      t.equal(r.exitCode, 0, r.errors);
      t.equal((await ringer.done).exitCode, 0, 'the ringing one got the CANCEL');
      t.equal((await answerer.done).exitCode, 0);
      const [cdr] = await waitCdr(app, 'NOAM', '+12025550115');
      t.equal(cdr?.disposition, 'answered');
      t.equal(cdr?.attempts.length, 2);
      t.ok(
        Math.abs(Date.parse(cdr?.attempts[0].startedAt) - Date.parse(cdr?.attempts[1].startedAt)) < 1000,
        'rung together',
      );
      t.same(cdr?.attempts.map((a: { outcome: string }) => a.outcome).sort(), ['answered', 'cancelled']);
    },
  );

  await t.test('forward to a number: out through the carrier of its route, with Diversion', async (t) => {
    const out = await addCarrier(app, 'Termination Carrier', {
      direction: 'outbound',
      routes: [{ prefix: '1555' }],
    });
    const gw = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      calls: 1,
      localPort: out.port,
      timeoutMs: 40_000,
    });
    await settled(gw);
    await addNumber(app, cust.id, '+12025550113', {
      destinations: [{ type: 'number', e164: '+15552220000', timeoutSec: 10 }],
      strategy: 'sequential',
    });
    const r = await caller('+12025550113', voiceScenario(t, 'uac.xml'));
    t.equal(r.exitCode, 0, `forwarded call answered ${r.errors}`);
    const g = await gw.done;
    const invite = g.messages.find((m) => m.direction === 'received' && m.method === 'INVITE');
    t.match(invite?.startLine, /^INVITE sip:\+15552220000@127\.0\.0\.1:\d+ SIP\/2\.0/);
    t.match(invite?.header('diversion'), /\+12025550113/);
    t.match(invite?.header('history-info'), /\+15552220000/);
    const [cdr] = await waitCdr(app, 'NOAM', '+12025550113');
    t.equal(cdr?.carrier, 'Termination Carrier');
    t.equal(cdr?.attempts[0].carrier, 'Termination Carrier');
  });

  await t.test('recording: the anchor is offered to B, A is answered with its connect() SDP', async (t) => {
    const callee = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      calls: 1,
      timeoutMs: 40_000,
    });
    await settled(callee);
    await addNumber(
      app,
      cust.id,
      '+12025550114',
      { destinations: [{ type: 'sip', uri: `sip:rec@127.0.0.1:${callee.port}` }], strategy: 'sequential' },
      { recording: { enabled: true, channels: 2 } },
    );
    const r = await caller('+12025550114', voiceScenario(t, 'uac.xml'));
    t.equal(r.exitCode, 0, r.errors);
    const ok = r.messages.find(
      (m) => m.direction === 'received' && m.status === 200 && m.text.includes('m=audio'),
    );
    t.match(ok?.text, /m=audio 32000 /, 'caller answered with the anchor SDP');
    const invite = (await callee.done).messages.find(
      (m) => m.direction === 'received' && m.method === 'INVITE',
    );
    t.match(invite?.text, /m=audio 31000 /, 'callee offered the anchor SDP');
    const [cdr] = await waitCdr(app, 'NOAM', '+12025550114');
    t.match(cdr?.recording, { status: 'recorded', recordingId: '7d1e5c3e-51a4-4c1e-9d3a-000000000001' });
    t.equal(cdr?.recording_status, 'recorded');
    t.same(anchorLog.slice(-3), ['anchor +12025550114 inbound', 'connect callee-sdp', 'release']);

    // An anchor that cannot record: the call goes on without media, the CDR says why.
    const callee2 = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      calls: 1,
      timeoutMs: 40_000,
    });
    await settled(callee2);
    await addNumber(
      app,
      cust.id,
      '+12025550119',
      { destinations: [{ type: 'sip', uri: `sip:rec@127.0.0.1:${callee2.port}` }], strategy: 'sequential' },
      { recording: { enabled: true, channels: 2 } },
    );
    const r2 = await caller('+12025550119', voiceScenario(t, 'uac.xml'));
    t.equal(r2.exitCode, 0, r2.errors);
    const [cdr2] = await waitCdr(app, 'NOAM', '+12025550119');
    t.match(cdr2?.recording, { status: 'unrecorded', reason: 'no-media-server' });
    const scraped = await app.metrics.getSingleMetricAsString('calls_unrecorded_total');
    t.match(scraped, /calls_unrecorded_total\{reason="no-media-server"[^}]*\} 1/);
  });
});
