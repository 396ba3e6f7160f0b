// Several apps on one edge: new INVITEs go round-robin among apps that routed them, and an app
// that removes its INVITE route (to drain) gets no new calls but keeps the ones in progress.
import t from 'tap';
import { startTestEdge } from '../support/edge.js';
import { startFrameRecorder } from '../support/frame-recorder.js';
import { runSipp, startSipp } from '../support/sipp.js';
import { connectSrf, SDP, type SrfApp } from '../support/srf.js';
import { waitFor } from '../support/wait.js';

function answering(srf: SrfApp): { calls: number; ended: number } {
  const counts = { calls: 0, ended: 0 };
  srf.invite(async (req, res) => {
    counts.calls += 1;
    const dlg = await srf.createUAS(req, res, { localSdp: SDP });
    dlg.on('destroy', () => {
      counts.ended += 1;
    });
  });
  return counts;
}

t.test('INVITEs are shared round-robin between two apps', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const a = await connectSrf(edge.appPort, edge.secret);
  const b = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => {
    a.srf.disconnect();
    b.srf.disconnect();
  });
  const countA = answering(a.srf);
  const countB = answering(b.srf);
  await waitFor(() => edge.stats().apps === 2, { message: 'both apps connected' });
  const caller = await runSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 4,
    rate: 10,
    callDurationMs: 100,
  });
  t.equal(caller.stats?.successfulCalls, 4);
  t.same([countA.calls, countB.calls], [2, 2], 'each app answered two calls');
});

t.test('remove_route for invite drains an app but keeps its calls', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  // The draining app talks through a recorder, so the test can see its remove_route answered.
  const recorder = await startFrameRecorder({ port: edge.appPort });
  t.teardown(() => recorder.close());
  const draining = await connectSrf(recorder.port, edge.secret);
  t.teardown(() => draining.srf.disconnect());
  const countDraining = answering(draining.srf);
  const long = await startSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 1,
    callDurationMs: 4_000,
  });
  await waitFor(() => countDraining.calls === 1 && edge.stats().dialogs === 1, {
    message: 'the long call is up',
  });

  const other = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => other.srf.disconnect());
  const countOther = answering(other.srf);
  await waitFor(() => edge.stats().apps === 2, { message: 'the second app connected' });
  draining.srf.unregisterForMessages('invite');
  await waitFor(
    () => {
      const ask = recorder.frames.find(
        (f) => f.direction === 'app->server' && f.payload.includes('|remove_route|invite'),
      );
      const id = ask?.payload.split('|')[0];
      return (
        id &&
        recorder.frames.some((f) => f.direction === 'server->app' && f.payload.includes(`|response|${id}|OK`))
      );
    },
    { message: 'the edge acknowledged remove_route' },
  );
  const next = await runSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 2,
    rate: 10,
    callDurationMs: 100,
  });
  t.equal(next.stats?.successfulCalls, 2, 'new calls succeed');
  t.equal(countOther.calls, 2, 'new calls went to the other app');
  t.equal(countDraining.calls, 1, 'the draining app got no new call');
  const first = await long.done;
  t.equal(first.exitCode, 0, 'the call in progress completed');
  await waitFor(() => countDraining.ended === 1, { message: 'the draining app got the BYE of its call' });
});
