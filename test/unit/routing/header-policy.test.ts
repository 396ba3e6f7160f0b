// Topology hiding: only listed headers cross, never routing/identity headers, no internal addresses.
import t from 'tap';
import { passHeaders, leaks, forwardingHeaders, callerIdentity } from '../../../src/routing/header-policy.js';

const guard = {
  internalHosts: ['sbc1.noam.internal', '198.51.100.20'],
  carrierNames: ['Acme Telecom'],
};

t.test('only listed headers cross; routing state and identity never do', async (t) => {
  const incoming = {
    Via: 'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1',
    'Record-Route': '<sip:10.0.0.5;lr>',
    Contact: '<sip:gw@198.51.100.20>',
    'User-Agent': 'Acme Telecom SBC 4.2',
    Server: 'FreeSWITCH',
    'X-RC-Call-Id': 'abc',
    'X-Account': 'cust-7',
    'X-Billing': 'acme telecom route 4',
    'P-Asserted-Identity': '<sip:+12025550100@x>',
    Subject: 'hello',
    'P-Early-Media': 'supported',
    Reason: 'Q.850;cause=16',
    Allow: ['INVITE', 'ACK', 'BYE'],
    Missing: undefined,
  };
  const r = passHeaders(
    incoming,
    {
      passHeaders: [
        'p-early-media',
        'X-Billing',
        'X-Account',
        'Reason',
        'Via',
        'X-RC-Call-Id',
        'User-Agent',
        'Allow',
      ],
    },
    guard,
  );
  t.same(r.headers, {
    'p-early-media': 'supported',
    'X-Account': 'cust-7',
    Reason: 'Q.850;cause=16',
    Allow: 'INVITE, ACK, BYE',
  });
  const why = Object.fromEntries(r.removed.map((x) => [x.name, x.reason]));
  t.equal(why.Via, 'never_passed', 'even when listed');
  t.equal(why['User-Agent'], 'never_passed');
  t.equal(why['X-RC-Call-Id'], 'internal');
  t.equal(why['X-Billing'], 'leak', 'a carrier name in a value');
  t.equal(why.Subject, 'not_listed');
  t.equal(why['P-Asserted-Identity'], 'never_passed', 'identity is built by the caller-ID policy');
});

t.test('leak detection: private ranges, internal hosts, carrier names', async (t) => {
  for (const v of [
    '<sip:a@10.1.2.3>',
    'x 192.168.0.1',
    '172.20.0.9',
    '127.0.0.1:5080',
    'sbc1.NOAM.internal',
    'ACME TELECOM',
  ])
    t.ok(leaks(v, guard), v);
  for (const v of ['<sip:+12025550100@sip.example.com>', '172.32.0.1', '8.8.8.8', 'Q.850;cause=16'])
    t.notOk(leaks(v, guard), v);
});

t.test('forwarding: Diversion and History-Info on the public host only', async (t) => {
  const h = forwardingHeaders({
    originalE164: '+12025550100',
    targetE164: '+13035550199',
    reason: 'no-answer',
    publicHost: 'sip.example.com',
  });
  t.equal(
    h.Diversion,
    '<sip:+12025550100@sip.example.com;user=phone>;reason=no-answer;counter=1;privacy=off',
  );
  t.match(
    h['History-Info'],
    /^<sip:\+12025550100@sip\.example\.com;user=phone>;index=1, <sip:\+13035550199@sip\.example\.com;user=phone\?Reason=SIP%3Bcause%3D408>;index=1\.1;mp=1$/,
  );
  const again = forwardingHeaders({
    originalE164: '+13035550199',
    targetE164: '+14155550123',
    reason: 'unconditional',
    publicHost: 'sip.example.com',
    previousDiversion: h.Diversion,
  });
  t.ok(again.Diversion.startsWith(h.Diversion + ', '), 'earlier diversions kept first');
});

t.test('caller identity: asserted, private, withheld', async (t) => {
  t.same(callerIdentity({ action: 'pass', e164: '+12025550100', privacy: false }, 'sip.example.com'), {
    from: '<sip:+12025550100@sip.example.com;user=phone>',
    headers: { 'P-Asserted-Identity': '<sip:+12025550100@sip.example.com;user=phone>' },
  });
  const priv = callerIdentity({ action: 'pass', e164: '+12025550100', privacy: true }, 'sip.example.com');
  t.match(priv.from, /anonymous/);
  t.same(priv.headers, {
    'P-Asserted-Identity': '<sip:+12025550100@sip.example.com;user=phone>',
    Privacy: 'id',
  });
  const withheld = callerIdentity({ action: 'withhold' }, 'sip.example.com');
  t.match(withheld.from, /anonymous\.invalid/);
  t.same(withheld.headers, { Privacy: 'id' }, 'an unverified number is never asserted');
});
