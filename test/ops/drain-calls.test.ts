// Drain without dropping calls: two daemon instances on one SBC (a real edge, each daemon connected
// to its app port as to drachtio-server), sipp placing calls through the SBC while one instance is
// drained with POST /admin/drain. Its calls in progress complete normally, every call that arrives
// after its INVITE route is gone lands on the other instance, no call fails, and the drained
// instance stops by itself once idle.
import t from 'tap';
import type { Registry } from 'prom-client';
import type { App } from '../../src/app.js';
import type { VoiceHandle } from '../../src/voice/voice.feature.js';
import { FileKeyProvider } from '../../src/crypto/file.key-provider.js';
import { startTestApp, call } from '../support/app.js';
import { clusterConfig } from '../support/cluster.js';
import { secret, tempDir } from '../support/config.js';
import { startTestEdge } from '../support/edge.js';
import { runSipp, startSipp } from '../support/sipp.js';
import { waitFor } from '../support/wait.js';
import { FAST_MESSAGING } from './support/message-traffic.js';
import { addCarrier, addCustomer, addNumber, cdrsOf, uacKeys, voiceScenario } from '../support/voice.js';

t.setTimeout(600_000);

/** Sum of a counter or the _count of a histogram on one instance's registry. */
async function total(metrics: Registry, name: string): Promise<number> {
  const metric = metrics.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => {
      const sample = (v as { metricName?: string }).metricName;
      return sample === undefined || sample.endsWith('_count');
    })
    .reduce((sum, v) => sum + v.value, 0);
}

t.test(
  'draining one of two instances: its calls complete, new calls go to the other, none fails',
  async (t) => {
    const edge = await startTestEdge();
    t.teardown(() => edge.close());
    const shared = await clusterConfig(t, ['NOAM']);
    const keyDir = tempDir(t, 'keys');
    const keys = new FileKeyProvider(keyDir, false);
    for (const ring of ['control', 'NOAM']) await keys.rotate(ring);
    const common = {
      ...shared,
      crypto: { ...shared.crypto, keyDir },
      edge: { enabled: false },
      sbcs: [
        {
          name: 'sbc1',
          host: '127.0.0.1',
          port: edge.appPort,
          secret: secret(edge.secret),
          tls: false,
          mode: 'connect',
          region: 'NOAM',
          colocation: 'test1',
          country: 'US',
        },
      ],
      ...FAST_MESSAGING,
      records: { flushIntervalMs: 5 },
      shutdown: { graceMs: 120_000 },
    };
    const a = await startTestApp(t, { ...common, instance: { id: 'drain-a' } } as never);
    const b = await startTestApp(t, { ...common, instance: { id: 'drain-b' } } as never);
    const voiceOf = (app: App) => app.features.voice as VoiceHandle;
    await Promise.all([voiceOf(a).pool.waitConnected(20_000), voiceOf(b).pool.waitConnected(20_000)]);

    const customer = await addCustomer(a, 'NOAM', 'Drain test');
    const origin = await addCarrier(a, 'Drain Origin', { direction: 'inbound' });
    const number = '+12025550500';
    const TOTAL = 24;
    const callee = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      calls: TOTAL,
      timeoutMs: 180_000,
    });
    await callee.ready();
    await addNumber(a, customer.id, number, {
      destinations: [{ type: 'sip', uri: `sip:pbx@127.0.0.1:${callee.port}`, timeoutSec: 10 }],
      strategy: 'sequential',
    });
    await waitFor(
      () => b.numbers.get(number) && b.plan.snapshot.gateways.some((g) => g.port === origin.port),
      {
        message: 'instance b knows the number and the carrier',
      },
    );
    const { token: op } = await a.accounts.createOperatorKey({ kind: 'system', name: 'drain-test' }, 'op');

    // 24 calls at 3 per second, each talking 4 s: about a dozen up at once, spread over both instances.
    const callers = runSipp({
      scenario: voiceScenario(t, 'uac.xml', { talk_ms: 4000 }),
      target: { port: edge.sipPort },
      localPort: origin.port,
      service: number,
      keys: uacKeys(),
      calls: TOTAL,
      rate: 3,
      timeoutMs: 180_000,
      traceMessages: false,
    });
    await waitFor(() => voiceOf(a).calls.count() >= 3 && voiceOf(b).calls.count() >= 3, {
      timeoutMs: 60_000,
      message: 'several calls in progress on both instances',
    });

    const drained = await call(a, 'POST', '/admin/drain', op);
    t.equal(drained.status, 202, 'drain accepted');
    await waitFor(() => a.lifecycle.state !== 'running' && a.lifecycle.state !== 'intake', {
      message: 'instance a past its intake phase (INVITE route removed)',
    });
    // Every call a will ever end is one it had already ended or still carried when its route went.
    const aCallsAtDrain = voiceOf(a).calls.count();
    const aEndedAtDrain = await total(a.metrics, 'voice_calls_total');
    t.ok(aCallsAtDrain >= 3, `instance a still carries ${aCallsAtDrain} call(s) after the drain started`);
    t.equal((await call(a, 'GET', '/readyz')).status, 503, 'a is not ready while it drains');
    const status = await call(a, 'GET', '/admin/drain', op);
    t.equal(status.body.state, 'drain');
    t.type(status.body.activeCalls, 'number', 'the drain status counts the calls left');

    const result = await callers;
    t.equal(result.exitCode, 0, `every call succeeded ${result.errors}`);
    t.equal(result.stats?.successfulCalls, TOTAL, `${TOTAL} successful calls`);
    t.equal(result.stats?.failedCalls, 0, 'no failed call');
    await callee.done;

    await a.lifecycle.stopped;
    t.pass('instance a stopped by itself once its calls ended');
    const aEnded = await total(a.metrics, 'voice_calls_total');
    t.equal(aEnded, aEndedAtDrain + aCallsAtDrain, 'no new call reached a after its drain');
    const bEnded = await total(b.metrics, 'voice_calls_total');
    t.equal(aEnded + bEnded, TOTAL, `calls split ${aEnded} on a, ${bEnded} on b`);
    t.ok(bEnded > TOTAL - aEnded - 1 && bEnded >= 1, 'b carried the rest');

    const cdrs = await waitFor(
      async () => {
        const rows = await cdrsOf(b, 'NOAM', number);
        return rows.length >= TOTAL ? rows : undefined;
      },
      { timeoutMs: 30_000, message: `${TOTAL} CDRs` },
    );
    t.equal(cdrs.length, TOTAL, 'a CDR for every call');
    t.ok(
      cdrs.every((c) => c.disposition === 'answered' && c.hangup_by === 'caller'),
      'every call answered and ended by the caller (none cut by the drain)',
    );
  },
);
