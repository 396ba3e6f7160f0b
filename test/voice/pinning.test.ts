// In-country pinning through two SBCs: the embedded edge (US, NOAM) and a "London" SBC (GB, EURO),
// both real edges driven by the daemon's SBC pool. The plan pins GB numbers to GB SBCs: a call for
// a GB number reaching the US edge is redirected (302) to London; through London it connects.
import t from 'tap';
import { startTestEdge } from '../support/edge.js';
import { runSipp, startSipp } from '../support/sipp.js';
import { secret } from '../support/config.js';
import {
  SYSTEM,
  addCarrier,
  addCustomer,
  addNumber,
  settled,
  startVoiceApp,
  uacKeys,
  voiceScenario,
  waitCdr,
} from '../support/voice.js';
import { waitFor } from '../support/wait.js';

t.test('a GB number is handled by the GB SBC only', async (t) => {
  const london = await startTestEdge();
  t.teardown(() => london.close());
  const { app, sipPort, voice } = await startVoiceApp(t, {
    regions: ['NOAM', 'EURO'],
    overrides: {
      sbcs: [
        {
          name: 'london',
          host: '127.0.0.1',
          port: london.appPort,
          secret: secret(london.secret),
          region: 'EURO',
          colocation: 'lon1',
          country: 'GB',
        },
      ],
      voice: { gatewayHealth: { pingIntervalMs: 0 }, pinning: 'redirect' },
      calls: { pinning: { sipUris: { london: `sip:127.0.0.1:${london.sipPort}` } } },
    },
  });
  t.equal(voice.pool.get('london')?.state, 'connected', 'the London SBC is in the pool');
  await app.planService.setVoiceCountry(SYSTEM, { country: 'GB', requiresLicensed: false, pin: 'country' });
  await waitFor(() => app.plan.snapshot.countries.get('GB')?.pin === 'country', { message: 'GB pinned' });
  const cust = await addCustomer(app, 'EURO');
  const carrier = await addCarrier(app, 'UK Carrier', { direction: 'inbound', countries: ['GB'] });
  const callee = await startSipp({
    scenario: voiceScenario(t, 'uas_answer.xml'),
    calls: 1,
    timeoutMs: 40_000,
  });
  await settled(callee);
  const number = '+442071838760';
  await addNumber(app, cust.id, number, {
    destinations: [{ type: 'sip', uri: `sip:uk@127.0.0.1:${callee.port}` }],
    strategy: 'sequential',
  });

  // Through the US edge: redirected to London.
  const wrong = await runSipp({
    scenario: voiceScenario(t, 'uac_expect_fail.xml', { status: 302 }),
    target: { port: sipPort },
    localPort: carrier.port,
    service: number,
    keys: uacKeys(),
    calls: 1,
    timeoutMs: 30_000,
  });
  t.equal(wrong.exitCode, 0, wrong.errors);
  const moved = wrong.messages.find((m) => m.direction === 'received' && m.status === 302);
  t.equal(moved?.header('contact'), `<sip:127.0.0.1:${london.sipPort}>`);
  const [refused] = await waitCdr(app, 'EURO', number);
  t.equal(refused?.final_status, 302);
  t.equal(refused?.sbc, 'edge');

  // Through London: connected.
  const right = await runSipp({
    scenario: voiceScenario(t, 'uac.xml'),
    target: { port: london.sipPort },
    localPort: carrier.port,
    service: number,
    keys: uacKeys(),
    calls: 1,
    timeoutMs: 30_000,
  });
  t.equal(right.exitCode, 0, right.errors);
  t.equal((await callee.done).exitCode, 0);
  const rows = await waitCdr(app, 'EURO', number, 2);
  const answered = rows.find((r) => r.disposition === 'answered');
  t.equal(answered?.sbc, 'london');
  t.equal(answered?.sbc_region, 'EURO');
});
