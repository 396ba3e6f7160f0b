// B2BUA calls through the edge, with sipp as caller and callee.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { attachB2bua } from '../support/b2bua.js';
import { scenario } from '../support/conformance.js';
import { startTestEdge, type TestEdge } from '../support/edge.js';
import { runSipp, startSipp, type SippProcess } from '../support/sipp.js';
import { connectSrf } from '../support/srf.js';
import { waitFor } from '../support/wait.js';

const own = (name: string): { file: string } => ({
  file: path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'sipp', name),
});

type Teardown = (fn: () => unknown) => void;

async function setup(
  teardown: Teardown,
  callees: () => SippProcess[],
): Promise<{ edge: TestEdge; counters: ReturnType<typeof attachB2bua> }> {
  const edge = await startTestEdge();
  teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  teardown(() => srf.disconnect());
  const counters = attachB2bua(srf, () => callees().map((c) => `sip:service@127.0.0.1:${c.port}`));
  return { edge, counters };
}

t.test('the caller hangs up a bridged call', async (t) => {
  const callee = await startSipp({ scenario: 'uas', calls: 1 });
  await callee.ready();
  const { edge, counters } = await setup(
    (fn) => t.teardown(fn),
    () => [callee],
  );
  const caller = await runSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 1,
    callDurationMs: 300,
  });
  const callee_ = await callee.done;
  t.equal(caller.exitCode, 0, 'the caller completed its call');
  t.equal(callee_.exitCode, 0, 'the callee completed its call');
  t.ok(
    callee_.messages.some((m) => m.direction === 'received' && m.method === 'BYE'),
    'the BYE reached the callee',
  );
  await waitFor(() => counters.ended === 1 && edge.stats().dialogs === 0, { message: 'both legs ended' });
});

t.test('the callee hangs up a bridged call', async (t) => {
  const callee = await startSipp({ scenario: own('uas_callee_bye.xml'), calls: 1 });
  await callee.ready();
  const { edge } = await setup(
    (fn) => t.teardown(fn),
    () => [callee],
  );
  // The caller's scenario waits long enough (-d) for the callee's BYE to arrive first; sipp's
  // built-in uac answers an incoming BYE with 200 and counts the call as successful.
  const caller = await runSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 1,
    callDurationMs: 5_000,
  });
  const callee_ = await callee.done;
  t.equal(callee_.exitCode, 0, 'the callee sent BYE and got 200');
  t.ok(
    caller.messages.some((m) => m.direction === 'received' && m.method === 'BYE'),
    'the caller received a BYE',
  );
  t.ok(
    caller.messages.some(
      (m) => m.direction === 'sent' && m.status === 200 && m.header('cseq')?.endsWith('BYE'),
    ),
    'the caller answered it',
  );
  await waitFor(() => edge.stats().dialogs === 0, { message: 'both dialogs are gone' });
});

t.test('a CANCEL before the answer: the caller gets 487, the callee gets the CANCEL', async (t) => {
  const callee = await startSipp({ scenario: scenario('uas_ring_cancel.xml'), calls: 1 });
  await callee.ready();
  const { edge, counters } = await setup(
    (fn) => t.teardown(fn),
    () => [callee],
  );
  const caller = await runSipp({
    scenario: scenario('uac_cancel.xml'),
    target: { port: edge.sipPort },
    calls: 1,
  });
  const callee_ = await callee.done;
  t.equal(caller.exitCode, 0, 'the caller got 200 for its CANCEL and 487 for its INVITE');
  t.ok(
    caller.messages.some((m) => m.direction === 'received' && m.status === 487),
    'the caller received 487',
  );
  t.equal(callee_.exitCode, 0, 'the callee completed its scenario');
  t.ok(
    callee_.messages.some((m) => m.direction === 'received' && m.method === 'CANCEL'),
    'the callee received the CANCEL',
  );
  await waitFor(() => counters.cancelled === 1 && edge.stats().dialogs === 0, {
    message: 'the app saw the cancel',
  });
});

t.test('the first callee answers 503, the second answers 200', async (t) => {
  const first = await startSipp({ scenario: scenario('uas_503.xml'), calls: 1 });
  const second = await startSipp({ scenario: 'uas', calls: 1 });
  await Promise.all([first.ready(), second.ready()]);
  const { edge, counters } = await setup(
    (fn) => t.teardown(fn),
    () => [first, second],
  );
  const caller = await runSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 1,
    callDurationMs: 300,
  });
  const [a, b] = await Promise.all([first.done, second.done]);
  t.equal(caller.exitCode, 0, 'the caller completed its call');
  t.ok(
    a.messages.some((m) => m.direction === 'received' && m.method === 'ACK'),
    'the edge acknowledged the 503',
  );
  t.equal(b.exitCode, 0, 'the second callee completed the call');
  t.notOk(
    caller.messages.some((m) => m.direction === 'received' && m.status === 503),
    'the caller never saw the 503',
  );
  await waitFor(() => counters.connected === 1 && edge.stats().dialogs === 0, { message: 'the call ended' });
});

t.test('a hold re-INVITE is passed from caller to callee and answered back', async (t) => {
  const callee = await startSipp({ scenario: own('uas_reinvite.xml'), calls: 1 });
  await callee.ready();
  const { edge, counters } = await setup(
    (fn) => t.teardown(fn),
    () => [callee],
  );
  const caller = await runSipp({
    scenario: own('uac_reinvite.xml'),
    target: { port: edge.sipPort },
    calls: 1,
  });
  const callee_ = await callee.done;
  t.equal(caller.exitCode, 0, 'the caller completed its scenario');
  t.equal(callee_.exitCode, 0, 'the callee completed its scenario');
  const reinvite = callee_.messages.filter((m) => m.direction === 'received' && m.method === 'INVITE')[1];
  t.match(reinvite?.text, /a=sendonly/, 'the callee got the hold offer');
  const answer = caller.messages.find(
    (m) => m.direction === 'received' && m.status === 200 && m.header('cseq') === '2 INVITE',
  );
  t.match(answer?.text, /a=recvonly/, "the caller got the callee's answer");
  t.equal(counters.reinvites, 1);
  await waitFor(() => edge.stats().dialogs === 0, { message: 'the call ended' });
});
