// What happens to calls when an app goes away or the edge closes.
import t from 'tap';
import { startTestEdge } from '../support/edge.js';
import { startSipp } from '../support/sipp.js';
import { connectSrf, SDP } from '../support/srf.js';
import { waitFor } from '../support/wait.js';

t.test('an INVITE whose app disconnects before answering gets 503', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  let offered = false;
  srf.invite(() => {
    offered = true;
  });
  const caller = await startSipp({ scenario: 'uac', target: { port: edge.sipPort }, calls: 1 });
  await waitFor(() => offered, { message: 'the INVITE reached the app' });
  srf.disconnect();
  const result = await caller.done;
  t.ok(
    result.messages.some((m) => m.direction === 'received' && m.status === 503),
    'the caller got 503',
  );
});

t.test("a call whose app disconnected still ends on the caller's BYE", async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  srf.invite(async (req, res) => {
    await srf.createUAS(req, res, { localSdp: SDP });
  });
  const caller = await startSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 1,
    callDurationMs: 2_000,
  });
  await waitFor(() => edge.stats().dialogs === 1, { message: 'the call is up' });
  srf.disconnect();
  await waitFor(() => edge.stats().apps === 0, { message: 'the app is gone' });
  const result = await caller.done;
  t.equal(result.exitCode, 0, 'the BYE got 200 and the call completed');
  t.equal(edge.stats().dialogs, 0, 'the dialog is gone');
});

t.test('closing the edge ends calls in progress with BYE', async (t) => {
  const edge = await startTestEdge();
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  srf.invite(async (req, res) => {
    await srf.createUAS(req, res, { localSdp: SDP });
  });
  const caller = await startSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 1,
    callDurationMs: 10_000,
  });
  await waitFor(() => edge.stats().dialogs === 1, { message: 'the call is up' });
  // srf would reconnect forever to a closed edge (and cannot disconnect once the edge hung up
  // on it), so the app leaves first; the edge closes with the call still up.
  srf.disconnect();
  await waitFor(() => edge.stats().apps === 0, { message: 'the app is gone' });
  await edge.close();
  const result = await caller.stop();
  t.ok(
    result.messages.some((m) => m.direction === 'received' && m.method === 'BYE'),
    'the caller received a BYE',
  );
});
