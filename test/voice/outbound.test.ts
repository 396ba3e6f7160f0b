// Outbound calls (customer trunk → carrier) through the edge with sipp as the customer's PBX and as
// the carriers' gateways: digest and IP authentication, carrier failover rules, CANCEL during
// failover, topology hiding; CDRs read from PostgreSQL.
import t from 'tap';
import { runSipp, startSipp, type SippResult } from '../support/sipp.js';
import { freePort } from '../support/ports.js';
import {
  addCarrier,
  addCustomer,
  addNumber,
  addTrunk,
  headerLines,
  settled,
  startVoiceApp,
  uacKeys,
  voiceScenario,
  waitCdr,
} from '../support/voice.js';

t.test('outbound calls', async (t) => {
  const { app, sipPort } = await startVoiceApp(t, { regions: ['NOAM'] });
  const cust = await addCustomer(app, 'NOAM');
  const OWNED = '+12025550150';
  await addNumber(app, cust.id, OWNED, { destinations: [], strategy: 'sequential' });
  const { credentials } = await addTrunk(app, cust.id, { name: 'pbx', digest: true });
  const creds = { user: credentials?.username as string, pass: credentials?.password as string };

  const pbx = (
    service: string,
    scenario: { file: string },
    extra: Partial<Parameters<typeof runSipp>[0]> = {},
  ) =>
    runSipp({
      scenario,
      target: { port: sipPort },
      service,
      keys: uacKeys({ caller: OWNED }),
      calls: 1,
      timeoutMs: 40_000,
      ...extra,
    });
  const received = (r: SippResult, pred: (m: SippResult['messages'][number]) => boolean) =>
    r.messages.filter((m) => m.direction === 'received' && pred(m));

  await t.test('digest trunk: call answered by the carrier; nothing internal crosses', async (t) => {
    const carrier = await addCarrier(app, 'Acme Transit', {
      direction: 'outbound',
      routes: [{ prefix: '1201' }],
    });
    const gw = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      localPort: carrier.port,
      calls: 1,
      timeoutMs: 40_000,
    });
    await settled(gw);
    const r = await pbx('+12015550100', voiceScenario(t, 'uac_auth_call.xml', creds));
    t.equal(r.exitCode, 0, `authenticated call answered ${r.errors}`);
    const g = await gw.done;
    t.equal(g.exitCode, 0);
    const [cdr] = await waitCdr(app, 'NOAM', '+12015550100');
    t.equal(cdr?.direction, 'outbound');
    t.equal(cdr?.customer_id, cust.id);
    t.equal(cdr?.calling, OWNED);
    t.equal(cdr?.disposition, 'answered');
    t.equal(cdr?.carrier, 'Acme Transit');
    t.match(cdr?.route, { carrier: 'Acme Transit', prefix: '1201' });

    // What the carrier saw: the number asserted, none of the PBX's own headers or addresses.
    const invite = received(g, (m) => m.method === 'INVITE')[0];
    t.ok(invite, 'carrier got the INVITE');
    const carrierSaw = headerLines(invite?.text ?? '');
    t.match(invite?.header('p-asserted-identity'), /\+12025550150/);
    t.notOk(
      carrierSaw.some(([n]) => n.startsWith('x-')),
      'no X- headers (none on the pass list)',
    );
    t.notOk(
      carrierSaw.some(([n, v]) => n === 'user-agent' && v.includes('test-pbx')),
      "not the PBX's User-Agent",
    );
    t.notOk(
      carrierSaw.some(([n]) => n === 'proxy-authorization'),
      'credentials never forwarded',
    );
    t.notOk(invite?.text.includes('secret-route'));
    // What the PBX saw: nothing of the carrier (name, Server, X- headers, address).
    for (const m of received(r, (m) => m.status !== undefined && m.status >= 180)) {
      const lines = headerLines(m.text);
      t.notOk(
        lines.some(([n]) => n.startsWith('x-')),
        `no X- headers in ${m.startLine}`,
      );
      t.notOk(
        lines.some(([n]) => n === 'server'),
        `no Server header in ${m.startLine}`,
      );
      t.notOk(/acme/i.test(m.text), `no carrier name in ${m.startLine}`);
      t.notOk(m.text.includes(`:${carrier.port}`), `no carrier address in ${m.startLine}`);
    }
  });

  await t.test('wrong password: 403 after the challenge; a replayed nonce is refused', async (t) => {
    const bad = await pbx(
      '+12015550101',
      voiceScenario(t, 'uac_auth_fail.xml', { ...creds, pass: 'wrong-password', status: 403 }),
    );
    t.equal(bad.exitCode, 0, `403 after challenge ${bad.errors}`);
    // Capture a valid Authorization and send it again: the nonce was used, so a new challenge.
    const carrier = await addCarrier(app, 'Replay Carrier', {
      direction: 'outbound',
      routes: [{ prefix: '1202' }],
    });
    const gw = await startSipp({
      scenario: voiceScenario(t, 'uas_answer.xml'),
      localPort: carrier.port,
      calls: 1,
      timeoutMs: 40_000,
    });
    await settled(gw);
    const ok = await pbx('+12025550177', voiceScenario(t, 'uac_auth_call.xml', creds));
    t.equal(ok.exitCode, 0, ok.errors);
    await gw.done;
    const authz = ok.messages
      .find((m) => m.direction === 'sent' && m.method === 'INVITE' && m.header('proxy-authorization'))
      ?.header('proxy-authorization');
    t.ok(authz, 'captured the credentials');
    const replay = await pbx('+12025550177', voiceScenario(t, 'uac_replay.xml', { status: 407 }), {
      keys: uacKeys({ caller: OWNED, authz: authz as string }),
    });
    t.equal(replay.exitCode, 0, `replay challenged again ${replay.errors}`);
    t.equal((await waitCdr(app, 'NOAM', '+12025550177')).length, 1, 'only the first call happened');
  });

  await t.test(
    'first carrier 503, the second answers; the first silent: failover within its bound',
    async (t) => {
      const a = await addCarrier(app, 'Fail Carrier', {
        direction: 'outbound',
        routes: [{ prefix: '1301', priority: 10 }],
      });
      const b = await addCarrier(app, 'Good Carrier', {
        direction: 'outbound',
        routes: [{ prefix: '1301', priority: 20 }],
      });
      const ga = await startSipp({
        scenario: voiceScenario(t, 'uas_status.xml', {
          status: 503,
          reason: 'Service Unavailable',
          cause: 34,
        }),
        localPort: a.port,
        calls: 1,
        timeoutMs: 40_000,
      });
      const gb = await startSipp({
        scenario: voiceScenario(t, 'uas_answer.xml'),
        localPort: b.port,
        calls: 1,
        timeoutMs: 40_000,
      });
      await Promise.all([settled(ga), settled(gb)]);
      const r = await pbx('+13015550100', voiceScenario(t, 'uac_auth_call.xml', creds));
      t.equal(r.exitCode, 0, r.errors);
      t.equal((await ga.done).exitCode, 0);
      t.equal((await gb.done).exitCode, 0);
      const [cdr] = await waitCdr(app, 'NOAM', '+13015550100');
      t.same(
        cdr?.attempts.map((x: { carrier: string; status: number }) => [x.carrier, x.status]),
        [
          ['Fail Carrier', 503],
          ['Good Carrier', 200],
        ],
      );
      t.equal(cdr?.carrier, 'Good Carrier');

      const s = await addCarrier(app, 'Silent Carrier', {
        direction: 'outbound',
        routes: [{ prefix: '1302', priority: 10 }],
        voice: { provisionalTimeoutMs: 1500 },
      });
      const ok = await addCarrier(app, 'Backup Carrier', {
        direction: 'outbound',
        routes: [{ prefix: '1302', priority: 20 }],
      });
      const gs = await startSipp({
        scenario: voiceScenario(t, 'uas_silent.xml'),
        localPort: s.port,
        calls: 1,
        timeoutMs: 10_000,
      });
      const gok = await startSipp({
        scenario: voiceScenario(t, 'uas_answer.xml'),
        localPort: ok.port,
        calls: 1,
        timeoutMs: 40_000,
      });
      await Promise.all([settled(gs), settled(gok)]);
      const r2 = await pbx('+13025550100', voiceScenario(t, 'uac_auth_call.xml', creds));
      t.equal(r2.exitCode, 0, r2.errors);
      await gs.stop();
      t.equal((await gok.done).exitCode, 0);
      const [cdr2] = await waitCdr(app, 'NOAM', '+13025550100');
      t.equal(cdr2?.attempts[0].outcome, 'no-provisional');
      const gap = Date.parse(cdr2?.attempts[1].startedAt) - Date.parse(cdr2?.attempts[0].startedAt);
      t.ok(gap >= 1450 && gap < 6000, `failover after the 1.5 s bound (${gap} ms)`);
      t.equal(cdr2?.disposition, 'answered');
    },
  );

  await t.test('486 from a carrier is not failed over; its status and Reason reach the caller', async (t) => {
    const a = await addCarrier(app, 'Busy Carrier', {
      direction: 'outbound',
      routes: [{ prefix: '1303', priority: 10 }],
    });
    await addCarrier(app, 'Unused Carrier', {
      direction: 'outbound',
      routes: [{ prefix: '1303', priority: 20 }],
    });
    const ga = await startSipp({
      scenario: voiceScenario(t, 'uas_status.xml', { status: 486, reason: 'Busy Here', cause: 17 }),
      localPort: a.port,
      calls: 1,
      timeoutMs: 40_000,
    });
    await settled(ga);
    const r = await pbx('+13035550100', voiceScenario(t, 'uac_auth_fail.xml', { ...creds, status: 486 }));
    t.equal(r.exitCode, 0, r.errors);
    const busy = received(r, (m) => m.status === 486)[0];
    t.match(busy?.header('reason'), /Q\.850;cause=17/);
    const [cdr] = await waitCdr(app, 'NOAM', '+13035550100');
    t.equal(cdr?.attempts.length, 1, 'no second carrier');
    t.equal(cdr?.disposition, 'busy');
    t.equal(cdr?.final_status, 486);
  });

  await t.test('CANCEL from the caller during failover stops everything; the CDR says so', async (t) => {
    const a = await addCarrier(app, 'Down Carrier', {
      direction: 'outbound',
      routes: [{ prefix: '1304', priority: 10 }],
    });
    const b = await addCarrier(app, 'Ringing Carrier', {
      direction: 'outbound',
      routes: [{ prefix: '1304', priority: 20 }],
    });
    await addCarrier(app, 'Third Carrier', {
      direction: 'outbound',
      routes: [{ prefix: '1304', priority: 30 }],
    });
    const ga = await startSipp({
      scenario: voiceScenario(t, 'uas_status.xml', { status: 503, reason: 'Service Unavailable', cause: 34 }),
      localPort: a.port,
      calls: 1,
      timeoutMs: 40_000,
    });
    const gb = await startSipp({
      scenario: voiceScenario(t, 'uas_ring_noanswer.xml'),
      localPort: b.port,
      calls: 1,
      timeoutMs: 40_000,
    });
    await Promise.all([settled(ga), settled(gb)]);
    // The PBX authenticates by IP for this one: a second trunk on 127.0.0.2.
    const ipCust = await addCustomer(app, 'NOAM', 'IP Customer');
    await addTrunk(app, ipCust.id, { name: 'ip-pbx', allowedIps: ['127.0.0.2'] });
    const port = await freePort('127.0.0.2');
    const r = await pbx('+13045550100', voiceScenario(t, 'uac_cancel.xml', { cancel_ms: 1500 }), {
      localHost: '127.0.0.2',
      localPort: port,
    });
    t.equal(r.exitCode, 0, `cancelled ${r.errors}`);
    t.equal((await gb.done).exitCode, 0, 'the ringing carrier got the CANCEL');
    await ga.done;
    const [cdr] = await waitCdr(app, 'NOAM', '+13045550100');
    t.equal(cdr?.customer_id, ipCust.id, 'IP-authenticated trunk');
    t.equal(cdr?.disposition, 'cancelled');
    t.equal(cdr?.hangup_by, 'caller');
    t.same(
      cdr?.attempts.map((x: { carrier: string }) => x.carrier),
      ['Down Carrier', 'Ringing Carrier'],
      'no third attempt',
    );
  });
});
