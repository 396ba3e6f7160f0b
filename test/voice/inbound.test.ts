// Inbound calls (carrier → DID → customer SIP URI) through the embedded edge with sipp on both
// sides; CDRs read from the customer's regional PostgreSQL database.
import t from 'tap';
import { runSipp, startSipp } from '../support/sipp.js';
import { call } from '../support/app.js';
import {
  addCarrier,
  addCustomer,
  addNumber,
  cdrsOf,
  settled,
  startVoiceApp,
  uacKeys,
  voiceScenario,
  waitCdr,
} from '../support/voice.js';

t.test(
  'inbound DID call: answered, BYE from either side, CDR in the EURO database via a NOAM SBC',
  async (t) => {
    const { app, sipPort, voice } = await startVoiceApp(t, { regions: ['NOAM', 'EURO'] });
    t.equal(voice.pool.get('edge')?.region, 'NOAM', 'the embedded edge is a NOAM SBC');
    const euro = await addCustomer(app, 'EURO');
    const other = await addCustomer(app, 'EURO', 'Other');
    const carrier = await addCarrier(app, 'Inbound Carrier');

    // 1. caller hangs up.
    const callee = await startSipp({ scenario: 'uas', calls: 1, timeoutMs: 30_000 });
    await settled(callee);
    const number = '+442071838750';
    await addNumber(app, euro.id, number, {
      destinations: [{ type: 'sip', uri: `sip:alice@127.0.0.1:${callee.port}`, timeoutSec: 10 }],
      strategy: 'sequential',
    });
    const caller = await runSipp({
      scenario: voiceScenario(t, 'uac.xml', { talk_ms: 400 }),
      target: { port: sipPort },
      localPort: carrier.port,
      service: number,
      keys: uacKeys(),
      calls: 1,
      timeoutMs: 30_000,
    });
    t.equal(caller.exitCode, 0, `caller call succeeded ${caller.errors}`);
    t.equal((await callee.done).exitCode, 0, 'callee answered and got the BYE');
    const [cdr] = await waitCdr(app, 'EURO', number);
    t.ok(cdr, 'CDR in the EURO database');
    t.equal(cdr?.customer_id, euro.id);
    t.equal(cdr?.direction, 'inbound');
    t.equal(cdr?.disposition, 'answered');
    t.equal(cdr?.final_status, 200);
    t.equal(cdr?.hangup_by, 'caller');
    t.equal(cdr?.calling, '+14155550123');
    t.equal(cdr?.sbc, 'edge');
    t.equal(cdr?.sbc_region, 'NOAM');
    t.ok(cdr?.answered_at && cdr?.ended_at, 'answer and end times');
    t.ok(cdr?.duration_ms >= 300, `duration ${cdr?.duration_ms} ms`);
    t.ok(cdr?.pdd_ms !== null && cdr?.pdd_ms >= 0, 'post-dial delay');
    t.equal(cdr?.attempts.length, 1);
    t.equal(cdr?.attempts[0].status, 200);
    t.match(cdr?.route, { carrier: 'Inbound Carrier' });
    t.same(await cdrsOf(app, 'NOAM', number), [], 'nothing in the NOAM database');

    // The API: the owner reads the call and its trace; another customer gets 404.
    const got = await call(app, 'GET', `/v1/calls/${cdr?.id}`, euro.key);
    t.equal(got.status, 200);
    t.equal(got.body.disposition, 'answered');
    t.equal(
      (await call(app, 'GET', `/v1/calls/${cdr?.id}`, other.key)).status,
      404,
      "another customer's key: 404",
    );
    const trace = await waitFor200(() => call(app, 'GET', `/v1/calls/${cdr?.id}/trace`, euro.key));
    t.ok(
      trace.body.messages.some(
        (m: { leg: string; line: string }) => m.leg === 'A' && m.line.startsWith('INVITE'),
      ),
    );
    t.ok(
      trace.body.messages.some(
        (m: { leg: string; line: string }) => m.leg === 'B' && m.line.startsWith('INVITE'),
      ),
    );
    t.ok(
      trace.body.messages.some((m: { sdp?: string }) => m.sdp?.startsWith('v=0')),
      'SDP bodies kept',
    );
    const svg = await app.api.inject({
      method: 'GET',
      url: `/v1/calls/${cdr?.id}/trace?format=svg`,
      headers: { authorization: `Bearer ${euro.key}` },
    });
    t.equal(svg.statusCode, 200);
    t.match(svg.headers['content-type'], /image\/svg\+xml/);
    t.match(svg.body, /<svg[\s\S]*INVITE[\s\S]*<\/svg>/);
    t.equal((await call(app, 'GET', `/v1/calls/${cdr?.id}/trace`, other.key)).status, 404);

    // 2. callee hangs up.
    const callee2 = await startSipp({ scenario: { file: 'test/support/sipp/uas_callee_bye.xml' }, calls: 1 });
    await settled(callee2);
    const number2 = '+442071838751';
    await addNumber(app, euro.id, number2, {
      destinations: [{ type: 'sip', uri: `sip:bob@127.0.0.1:${callee2.port}` }],
      strategy: 'sequential',
    });
    const caller2 = await runSipp({
      scenario: voiceScenario(t, 'uac_callee_bye.xml'),
      target: { port: sipPort },
      localPort: (await addCarrier(app, 'Second Carrier')).port,
      service: number2,
      keys: uacKeys(),
      calls: 1,
      timeoutMs: 30_000,
    });
    t.equal(caller2.exitCode, 0, `caller got the BYE ${caller2.errors}`);
    t.equal((await callee2.done).exitCode, 0);
    const [cdr2] = await waitCdr(app, 'EURO', number2);
    t.equal(cdr2?.hangup_by, 'callee');
    t.equal(cdr2?.disposition, 'answered');
  },
);

t.test('re-INVITE passes through to the other leg (hold)', async (t) => {
  const { app, sipPort } = await startVoiceApp(t, { regions: ['NOAM'] });
  const cust = await addCustomer(app, 'NOAM');
  const carrier = await addCarrier(app, 'Hold Carrier', { direction: 'inbound' });
  const callee = await startSipp({ scenario: { file: 'test/support/sipp/uas_reinvite.xml' }, calls: 1 });
  await settled(callee);
  const number = '+12025550160';
  await addNumber(app, cust.id, number, {
    destinations: [{ type: 'sip', uri: `sip:hold@127.0.0.1:${callee.port}` }],
    strategy: 'sequential',
  });
  const caller = await runSipp({
    scenario: { file: 'test/support/sipp/uac_reinvite.xml' },
    target: { port: sipPort },
    localPort: carrier.port,
    service: number,
    calls: 1,
    timeoutMs: 30_000,
  });
  t.equal(caller.exitCode, 0, `hold and hang up ${caller.errors}`);
  const c = await callee.done;
  t.equal(c.exitCode, 0);
  const reinvite = c.messages.filter((m) => m.direction === 'received' && m.method === 'INVITE')[1];
  t.match(reinvite?.text, /a=sendonly/, 'the callee got the hold offer');
  const ok = caller.messages.filter(
    (m) => m.direction === 'received' && m.status === 200 && m.text.includes('m=audio'),
  );
  t.match(ok[1]?.text, /a=recvonly/, "the caller got the callee's answer");
  const [cdr] = await waitCdr(app, 'NOAM', number);
  t.equal(cdr?.disposition, 'answered');
});

async function waitFor200<T extends { status: number }>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const r = await fn();
    if (r.status === 200) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  return fn();
}
