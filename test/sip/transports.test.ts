// Calls that depend on the transport layer: UDP with 10% of packets lost (completed through the
// retransmissions of RFC 3261 section 17), and TCP on both legs.
import t from 'tap';
import { attachB2bua } from '../support/b2bua.js';
import { startTestEdge } from '../support/edge.js';
import { runSipp, startSipp } from '../support/sipp.js';
import { connectSrf } from '../support/srf.js';
import { waitFor } from '../support/wait.js';

t.test('UDP with 10% loss on both sides: every call completes through retransmissions', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const calls = 10;
  const callee = await startSipp({ scenario: 'uas', calls, lossPercent: 10, timeoutMs: 60_000 });
  await callee.ready();
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  attachB2bua(srf, () => [`sip:service@127.0.0.1:${callee.port}`]);
  const caller = await runSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls,
    rate: 5,
    callDurationMs: 200,
    lossPercent: 10,
    timeoutMs: 60_000,
  });
  const calleeResult = await callee.done;
  t.equal(caller.stats?.successfulCalls, calls, `all ${calls} calls succeeded for the caller`);
  t.equal(caller.stats?.failedCalls, 0, 'none failed');
  // sipp counts its own retransmissions; the edge's show up as the same message received twice.
  const duplicates = (messages: typeof caller.messages): number => {
    const seen = new Set<string>();
    let n = 0;
    for (const m of messages) {
      if (m.direction !== 'received') continue;
      const key = `${m.header('call-id')}|${m.header('cseq')}|${m.startLine}`;
      if (seen.has(key)) n += 1;
      seen.add(key);
    }
    return n;
  };
  const bySipp = (caller.stats?.retransmissions ?? 0) + (calleeResult.stats?.retransmissions ?? 0);
  const byEdge = duplicates(caller.messages) + duplicates(calleeResult.messages);
  t.ok(bySipp + byEdge > 0, `lost packets were retransmitted (sipp ${bySipp}, edge ${byEdge})`);
  await waitFor(() => edge.stats().dialogs === 0, { message: 'every dialog ended', timeoutMs: 30_000 });
});

t.test('TCP on both legs', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const callee = await startSipp({ scenario: 'uas', calls: 2, transport: 'tcp' });
  await callee.ready();
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  attachB2bua(srf, () => [`sip:service@127.0.0.1:${callee.port};transport=tcp`]);
  const caller = await runSipp({
    scenario: 'uac',
    target: { port: edge.sipPort },
    calls: 2,
    callDurationMs: 200,
    transport: 'tcp',
  });
  const calleeResult = await callee.done;
  t.equal(caller.exitCode, 0, 'the caller completed both calls');
  t.equal(calleeResult.exitCode, 0, 'the callee completed both calls');
  t.ok(
    caller.messages.length > 0 && caller.messages.every((m) => m.transport === 'tcp'),
    'the caller spoke TCP only',
  );
  t.ok(
    calleeResult.messages.length > 0 && calleeResult.messages.every((m) => m.transport === 'tcp'),
    'the callee spoke TCP only',
  );
  const invite = calleeResult.messages.find((m) => m.direction === 'received' && m.method === 'INVITE');
  t.match(invite?.header('via'), /^SIP\/2\.0\/TCP /, 'the B-leg Via says TCP');
  // drachtio keeps the app's Contact (srf sends sip:user@localhost) and only fills in host and
  // port, so no transport parameter: the edge listens for UDP and TCP on that port alike.
  t.match(
    invite?.header('contact'),
    new RegExp(`^<sip:sipp@127\\.0\\.0\\.1:${edge.sipPort}>$`),
    'the B-leg Contact is the edge',
  );
  await waitFor(() => edge.stats().dialogs === 0, { message: 'every dialog ended' });
});
