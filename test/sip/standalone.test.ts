// The edge started on its own (node dist/edge/main.js) with no app connected answers a call
// with 100 Trying and 503, as drachtio-server does, and stops cleanly on SIGTERM.
import t from 'tap';
import { startEdgeProcess } from '../support/edge-process.js';
import { runSipp } from '../support/sipp.js';

t.test('a call to the standalone edge with no app gets 503', async (t) => {
  const edge = await startEdgeProcess();
  t.teardown(() => edge.stop());
  const caller = await runSipp({ scenario: 'uac', target: { port: edge.sipPort }, calls: 1 });
  t.equal(caller.exitCode, 1, 'the call failed, as it should');
  const statuses = caller.messages.filter((m) => m.direction === 'received').map((m) => m.status);
  t.ok(statuses.includes(100), 'the edge sent 100 Trying');
  t.ok(statuses.includes(503), 'the edge answered 503');
  t.equal(await edge.stop(), 0, 'the edge exited cleanly on SIGTERM');
});
