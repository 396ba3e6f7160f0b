// Flows b (B2BUA, caller BYE, CDRs), c (caller CANCEL), d (503 then failover) and x (B-leg
// unreachable) of test/fixtures/drachtio-wire/, replayed against the edge.
import t from 'tap';
import { replayFlow, scenario } from '../support/conformance.js';
import { summarise } from '../support/drachtio-transcript.js';

t.test('b-b2bua-bye: B2BUA call with CDR events, the caller hangs up', async (t) => {
  const out = await replayFlow({
    transcript: 'b-b2bua-bye.txt',
    flow: 'b2bua',
    uas1: { scenario: 'uas' },
    uac: { scenario: 'uac', callDurationMs: 1000 },
  });
  t.equal(out.app.code, 0, 'the app finished its flow');
  t.equal(out.uac?.exitCode, 0, 'the caller completed its call');
  t.equal(out.uas[0]?.exitCode, 0, 'the callee completed its call');
  t.same(out.diffs, [], out.diffs.length ? summarise(out.frames) : 'frames match the transcript');
});

t.test('c-b2bua-cancel: the caller cancels while the callee rings', async (t) => {
  const out = await replayFlow({
    transcript: 'c-b2bua-cancel.txt',
    flow: 'cancel',
    uas1: { scenario: scenario('uas_ring_cancel.xml') },
    uac: { scenario: scenario('uac_cancel.xml') },
  });
  t.equal(out.app.code, 0, 'the app finished its flow');
  t.equal(out.uac?.exitCode, 0, 'the caller got 200 for CANCEL and 487');
  t.equal(out.uas[0]?.exitCode, 0, 'the callee got the CANCEL');
  t.same(out.diffs, [], out.diffs.length ? summarise(out.frames) : 'frames match the transcript');
});

t.test('d-b2bua-failover: the first callee answers 503, the second 200', async (t) => {
  const out = await replayFlow({
    transcript: 'd-b2bua-failover.txt',
    flow: 'failover',
    uas1: { scenario: scenario('uas_503.xml') },
    uas2: { scenario: 'uas' },
    uac: { scenario: 'uac', callDurationMs: 1000 },
  });
  t.equal(out.app.code, 0, 'the app finished its flow');
  t.equal(out.uac?.exitCode, 0, 'the caller completed its call');
  t.same(
    out.uas.map((r) => r.exitCode),
    [0, 0],
    'both callees completed their scenario',
  );
  t.same(out.diffs, [], out.diffs.length ? summarise(out.frames) : 'frames match the transcript');
});

t.test('x-b2bua-uas-unreachable: nothing listens at the B-leg target', async (t) => {
  const out = await replayFlow({
    transcript: 'x-b2bua-uas-unreachable.txt',
    flow: 'cancel',
    uac: { scenario: scenario('uac_cancel.xml') },
  });
  t.equal(out.app.code, 0, 'the app finished its flow');
  t.equal(out.uac?.exitCode, 1, 'the caller got 503 where its scenario expected 180 (as recorded)');
  t.same(out.diffs, [], out.diffs.length ? summarise(out.frames) : 'frames match the transcript');
});
