// Fraud guards and limits on outbound calls through the edge with sipp: scanner user-agents, the
// destination risk list, 488 when no codec survives the carrier's SDP policy, the customer's
// concurrency limit (486 as configured) and its recovery when an instance dies holding a slot.
import t from 'tap';
import { runSipp, startSipp } from '../support/sipp.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import {
  addCarrier,
  addCustomer,
  addTrunk,
  settled,
  startVoiceApp,
  uacKeys,
  voiceScenario,
  waitCdr,
} from '../support/voice.js';

t.test('guards', async (t) => {
  const { app, sipPort, voice } = await startVoiceApp(t, {
    regions: ['NOAM'],
    overrides: {
      voice: {
        gatewayHealth: { pingIntervalMs: 0 },
        riskPrefixes: [{ prefix: '1900', reason: 'premium_rate', action: 'block' }],
        limits: { rejectCode: 486, leaseTtlMs: 2000 },
      },
    },
  });
  const cust = await addCustomer(app, 'NOAM');
  await addTrunk(app, cust.id, { name: 'pbx', allowedIps: ['127.0.0.3'], maxConcurrent: 1 });
  const carrier = await addCarrier(app, 'Guarded Carrier', {
    direction: 'outbound',
    routes: [{ prefix: '1' }],
    voice: { codecs: ['PCMU', 'PCMA'] },
  });
  const pbx = async (service: string, scenario: { file: string }, keys: Record<string, string> = {}) =>
    runSipp({
      scenario,
      target: { port: sipPort },
      localHost: '127.0.0.3',
      localPort: await freePort('127.0.0.3'),
      service,
      keys: uacKeys(keys),
      calls: 1,
      timeoutMs: 40_000,
    });
  const rejections = async (reason: string) =>
    Number(
      /\} (\d+)/.exec(
        (await app.metrics.getSingleMetricAsString('voice_policy_rejections_total'))
          .split('\n')
          .find((l) => l.includes(`reason="${reason}"`)) ?? '} 0',
      )?.[1],
    );

  await t.test('scanner user-agent: 403 at once', async (t) => {
    const r = await pbx('+14015550100', voiceScenario(t, 'uac_expect_fail.xml', { status: 403 }), {
      ua: 'friendly-scanner',
    });
    t.equal(r.exitCode, 0, r.errors);
    t.equal(await rejections('scanner'), 1);
  });

  await t.test('risky destination: 403 and a rejected CDR', async (t) => {
    const r = await pbx('+19005550100', voiceScenario(t, 'uac_expect_fail.xml', { status: 403 }));
    t.equal(r.exitCode, 0, r.errors);
    const [cdr] = await waitCdr(app, 'NOAM', '+19005550100');
    t.equal(cdr?.disposition, 'rejected');
    t.equal(cdr?.end_reason, 'risk_premium_rate');
    t.equal(await rejections('risk_premium_rate'), 1);
  });

  await t.test('no codec in common with the carrier: 488', async (t) => {
    const r = await pbx('+14015550101', voiceScenario(t, 'uac_expect_fail.xml', { status: 488 }), {
      codec: '18',
      codec_name: 'G729',
    });
    t.equal(r.exitCode, 0, r.errors);
    const [cdr] = await waitCdr(app, 'NOAM', '+14015550101');
    t.equal(cdr?.final_status, 488);
  });

  await t.test(
    'concurrency limit: 486 while a call is up, and after an instance died holding a slot',
    async (t) => {
      const gw = await startSipp({
        scenario: voiceScenario(t, 'uas_answer.xml'),
        localPort: carrier.port,
        calls: 2,
        timeoutMs: 60_000,
      });
      await settled(gw);
      const long = pbx('+14015550102', voiceScenario(t, 'uac.xml', { talk_ms: 4000 }));
      await waitFor(() => voice.calls.count() === 1, { message: 'first call up' });
      await waitFor(async () => (await voice.policy.limits.activeCalls('customer', cust.id)) === 1, {
        message: 'slot taken',
      });
      const busy = await pbx('+14015550103', voiceScenario(t, 'uac_expect_fail.xml', { status: 486 }));
      t.equal(busy.exitCode, 0, `second call refused with 486 ${busy.errors}`);
      t.equal((await long).exitCode, 0);
      await waitFor(async () => (await voice.policy.limits.activeCalls('customer', cust.id)) === 0, {
        message: 'slot released at the end of the call',
      });

      // An instance that dies mid-call never releases its slot; the lease lapses (leaseTtlMs 2 s).
      const dead = await voice.policy.limits.acquireCustomer({
        callId: 'dead-instance-call',
        customerId: cust.id,
      });
      t.ok(dead.ok, 'slot taken by the "dead" instance');
      if (dead.ok) dead.lease?.abandon();
      const refused = await pbx('+14015550104', voiceScenario(t, 'uac_expect_fail.xml', { status: 486 }));
      t.equal(refused.exitCode, 0, 'refused while the dead slot holds');
      await waitFor(async () => (await voice.policy.limits.activeCalls('customer', cust.id)) === 0, {
        timeoutMs: 15_000,
        message: 'dead slot expired',
      });
      const ok = await pbx('+14015550105', voiceScenario(t, 'uac.xml'));
      t.equal(ok.exitCode, 0, `accepted after expiry ${ok.errors}`);
      t.equal((await gw.done).exitCode, 0);
      t.equal(await rejections('customer_concurrency'), 2);
    },
  );
});
