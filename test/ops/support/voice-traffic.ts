// Voice traffic for the ops tests, through the daemon's embedded edge with sipp on both sides:
// a call to an unknown number (rejected), a DID call answered by the customer's SIP endpoint, and a
// call forwarded to a number out through carriers, where the first carrier refuses (503) and the
// call fails over to the second, which answers. Every carrier-labelled metric gets series.
import { runSipp, startSipp } from '../../support/sipp.js';
import { addCarrier, addCustomer, addNumber, uacKeys, voiceScenario, waitCdr } from '../../support/voice.js';
import type { TrafficStep } from './traffic.js';

export const callTraffic: TrafficStep = {
  name: 'calls',
  async run(ctx) {
    const { app, t } = ctx;
    if (!ctx.edge) throw new Error('the calls step needs the daemon embedded edge (ctx.edge)');
    const sipPort = ctx.edge.sipPort;
    const customer = await addCustomer(app, 'NOAM', 'Ops Voice');
    const origin = await addCarrier(app, 'Ops Origin', { direction: 'inbound' });
    const failing = await addCarrier(app, 'Ops Failing', {
      direction: 'outbound',
      routes: [{ prefix: '1555', priority: 10 }],
    });
    const terminating = await addCarrier(app, 'Ops Termination', {
      direction: 'outbound',
      routes: [{ prefix: '1555', priority: 20 }],
    });
    const caller = (service: string, scenario: { file: string }) =>
      runSipp({
        scenario,
        target: { port: sipPort },
        localPort: origin.port,
        service,
        keys: uacKeys(),
        calls: 1,
        timeoutMs: 40_000,
      });

    // Unknown number: refused before any B leg.
    const unknown = await caller('+12025550999', voiceScenario(t, 'uac_expect_fail.xml', { status: 404 }));
    t.equal(unknown.exitCode, 0, `unknown number refused with 404 ${unknown.errors}`);

    // A DID answered by the customer's SIP endpoint.
    const pbx = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      calls: 1,
      timeoutMs: 40_000,
    });
    await pbx.ready();
    await addNumber(app, customer.id, '+12025550301', {
      destinations: [{ type: 'sip', uri: `sip:pbx@127.0.0.1:${pbx.port}`, timeoutSec: 10 }],
      strategy: 'sequential',
    });
    const did = await caller('+12025550301', voiceScenario(t, 'uac.xml'));
    t.equal(did.exitCode, 0, `DID call answered ${did.errors}`);
    t.equal((await pbx.done).exitCode, 0);

    // A DID whose number asks for recording: recorded when a media server anchors it, otherwise the
    // call goes on and counts as unrecorded (calls_unrecorded_total).
    const recorded = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      calls: 1,
      timeoutMs: 40_000,
    });
    await recorded.ready();
    await addNumber(
      app,
      customer.id,
      '+12025550303',
      {
        destinations: [{ type: 'sip', uri: `sip:pbx@127.0.0.1:${recorded.port}`, timeoutSec: 10 }],
        strategy: 'sequential',
      },
      { recording: { enabled: true, channels: 2 } },
    );
    const rec = await caller('+12025550303', voiceScenario(t, 'uac.xml'));
    t.equal(rec.exitCode, 0, `call to a recorded number answered ${rec.errors}`);
    await recorded.done;
    const [recordedCdr] = await waitCdr(app, 'NOAM', '+12025550303');
    t.ok(recordedCdr?.recording_status, `recording outcome in the CDR: ${recordedCdr?.recording_status}`);

    // The media server refuses: the call goes on, unrecorded (calls_unrecorded_total).
    if (ctx.media) {
      ctx.media.refuseInvites = true;
      const refused = await startSipp({
        scenario: voiceScenario(t, 'uas_answer.xml'),
        calls: 1,
        timeoutMs: 40_000,
      });
      await refused.ready();
      await addNumber(
        app,
        customer.id,
        '+12025550304',
        {
          destinations: [{ type: 'sip', uri: `sip:pbx@127.0.0.1:${refused.port}`, timeoutSec: 10 }],
          strategy: 'sequential',
        },
        { recording: { enabled: true, channels: 2 } },
      );
      const unrec = await caller('+12025550304', voiceScenario(t, 'uac.xml'));
      t.equal(unrec.exitCode, 0, `call goes on when the media server refuses ${unrec.errors}`);
      await refused.done;
      ctx.media.refuseInvites = false;
      const [cdr] = await waitCdr(app, 'NOAM', '+12025550304');
      t.equal(cdr?.recording_status, 'unrecorded', 'the CDR says unrecorded');
    }

    // Forwarded to a number: the first carrier refuses, the call fails over to the second.
    const refuse = await startSipp({
      scenario: voiceScenario(t, 'uas_status.xml', { status: 503, reason: 'Service Unavailable', cause: 41 }),
      calls: 1,
      localPort: failing.port,
      timeoutMs: 40_000,
    });
    const answer = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      calls: 1,
      localPort: terminating.port,
      timeoutMs: 40_000,
    });
    await Promise.all([refuse.ready(), answer.ready()]);
    await addNumber(app, customer.id, '+12025550302', {
      destinations: [{ type: 'number', e164: '+15552220000', timeoutSec: 10 }],
      strategy: 'sequential',
    });
    const forwarded = await caller('+12025550302', voiceScenario(t, 'uac.xml'));
    t.equal(forwarded.exitCode, 0, `forwarded call answered after a failover ${forwarded.errors}`);
    t.equal((await refuse.done).exitCode, 0, 'the first carrier was tried');
    t.equal((await answer.done).exitCode, 0, 'the second carrier answered');
    await waitCdr(app, 'NOAM', '+12025550302');
    await waitCdr(app, 'NOAM', '+12025550301');
  },
};
