import t from 'tap';
import { startTestEdge } from '../support/edge.js';
import { runSipp } from '../support/sipp.js';
import { connectSrf, SDP } from '../support/srf.js';
import { waitFor } from '../support/wait.js';

t.test('the app answers an INVITE itself and the caller hangs up', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  let ended = false;
  srf.invite(async (req, res) => {
    const dlg = await srf.createUAS(req, res, { localSdp: SDP });
    dlg.on('destroy', () => {
      ended = true;
    });
  });
  const uac = await runSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 1,
    callDurationMs: 200,
  });
  t.equal(uac.exitCode, 0, 'sipp completed its call');
  t.equal(uac.stats?.successfulCalls, 1);
  const ok = uac.messages.find(
    (m) => m.direction === 'received' && m.status === 200 && m.header('cseq')?.endsWith('INVITE'),
  );
  t.ok(ok, 'the caller received 200 OK for the INVITE');
  t.match(ok?.header('contact'), /^<sip:127\.0\.0\.1:\d+>$/, 'the 200 carries the edge Contact');
  t.ok(
    uac.messages.some((m) => m.direction === 'received' && m.status === 100),
    'the edge sent 100 Trying',
  );
  await waitFor(() => ended, { message: 'the app saw the BYE' });
  await waitFor(() => edge.stats().dialogs === 0, { message: 'the dialog is gone' });
});
