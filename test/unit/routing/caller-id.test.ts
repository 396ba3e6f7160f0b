import t from 'tap';
import { decideCallerId, privacyRequested, type CallerIdInput } from '../../../src/routing/caller-id.js';

const owners = new Map([
  ['+12025550100', 'cust-a'],
  ['+12025550101', 'cust-b'],
]);
const verified = new Set(['cust-a|+13035550199']);
const base = (over: Partial<CallerIdInput>): CallerIdInput => ({
  customerId: 'cust-a',
  claimed: undefined,
  ownerOf: (e) => owners.get(e),
  isVerified: (c, e) => verified.has(`${c}|${e}`),
  policy: 'withhold',
  privacyRequested: false,
  ...over,
});

t.test('owned or verified numbers pass; others withheld or refused per trunk', async (t) => {
  t.same(decideCallerId(base({ claimed: '+12025550100' })), {
    action: 'pass',
    e164: '+12025550100',
    privacy: false,
    basis: 'owned',
  });
  t.same(decideCallerId(base({ claimed: '+13035550199', privacyRequested: true })), {
    action: 'pass',
    e164: '+13035550199',
    privacy: true,
    basis: 'verified',
  });
  t.same(
    decideCallerId(base({ claimed: '+12025550101' })),
    { action: 'withhold', reason: 'not_owned', privacy: true },
    "another customer's DID",
  );
  t.same(decideCallerId(base({ claimed: '+12025550101', policy: 'reject' })), {
    action: 'reject',
    status: 403,
    reason: 'not_owned',
  });
  t.same(decideCallerId(base({ claimed: undefined, claimedProblem: 'invalid', policy: 'reject' })), {
    action: 'reject',
    status: 403,
    reason: 'invalid',
  });
  t.same(
    decideCallerId(base({ policy: 'reject', privacyRequested: true })),
    { action: 'withhold', reason: 'missing', privacy: true },
    'an anonymous caller is not refused',
  );
  t.same(
    decideCallerId(base({ claimed: '+13035550199', customerId: 'cust-b' })).action,
    'withhold',
    'verification is per customer',
  );
});

t.test('privacy requested by header or anonymous From', async (t) => {
  t.ok(privacyRequested({ privacy: 'id' }));
  t.ok(privacyRequested({ privacy: 'user; id' }));
  t.ok(privacyRequested({ from: '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1' }));
  t.notOk(privacyRequested({ privacy: 'none', from: '<sip:+12025550100@x>' }));
  t.notOk(privacyRequested({}));
});
