// The full routing decision: normalise, DID lookup or risk + carrier selection, with SIP statuses.
import t from 'tap';
import { decideInbound, decideOutbound } from '../../../src/routing/decide.js';
import { RouteTable } from '../../../src/routing/route-table.js';
import { RiskList } from '../../../src/routing/risk.js';
import { E164_CONVENTION } from '../../../src/routing/normalize.js';
import type { NumberEntry } from '../../../src/accounts/number-settings.js';
import { carrier, gateway, route, plan } from './fixtures.js';

const did = (e164: string, status: NumberEntry['status']): NumberEntry =>
  ({
    e164,
    customerId: 'cust',
    region: 'EURO',
    country: 'GB',
    status,
    voice: { destinations: [], strategy: 'sequential' },
    messaging: { keepContent: false },
    recording: { enabled: false, channels: 2 },
    retention: { policy: '30d' },
    version: 1,
  }) as NumberEntry;

t.test('inbound: national number from a carrier to a DID; 404 unknown; 480 suspended or KYC', async (t) => {
  const numbers = new Map([
    ['+442079460000', did('+442079460000', 'active')],
    ['+442079460001', did('+442079460001', 'suspended')],
    ['+442079460002', did('+442079460002', 'pending_kyc')],
  ]);
  const convention = {
    numberFormat: 'national' as const,
    techPrefix: '',
    nationalCountry: 'GB',
    calledNumberIn: 'to' as const,
  };
  const lookup = (e: string) => numbers.get(e);
  const ok = decideInbound({ called: '02079460000', convention, lookup });
  t.ok(ok.ok && ok.e164 === '+442079460000' && ok.number.customerId === 'cust');
  t.match(decideInbound({ called: '02079460009', convention, lookup }), {
    ok: false,
    status: 404,
    reason: 'unknown_number',
  });
  t.match(decideInbound({ called: '02079460001', convention, lookup }), {
    ok: false,
    status: 480,
    reason: 'number_suspended',
  });
  t.match(decideInbound({ called: '02079460002', convention, lookup, inactiveStatus: 403 }), {
    ok: false,
    status: 403,
    reason: 'number_pending_kyc',
  });
  t.match(decideInbound({ called: 'abc', convention, lookup }), {
    ok: false,
    status: 404,
    reason: 'bad_number',
    normalize: 'bad_characters',
  });
});

t.test('outbound: risk, routes, gateways down', async (t) => {
  const routes = new RouteTable(
    plan(
      [carrier('a'), carrier('b')],
      [gateway('ga', 'a'), gateway('gb', 'b')],
      [route('44', 'a'), route('4420', 'b'), route('1900', 'a')],
    ),
  );
  const risk = new RiskList([
    { prefix: '1900', reason: 'premium_rate', action: 'block' },
    { prefix: '4470', reason: 'high_risk', action: 'expensive' },
  ]);
  const base = { convention: E164_CONVENTION, routes, risk };
  const ok = decideOutbound({ ...base, dialled: '+442079460000' });
  t.ok(ok.ok);
  if (ok.ok) {
    t.same(
      ok.route.candidates.map((c) => c.carrier.id),
      ['b'],
    );
    t.equal(ok.country, 'GB');
    t.equal(ok.expensive, false);
  }
  const exp = decideOutbound({ ...base, dialled: '+447012345678' });
  t.ok(exp.ok && exp.expensive, 'expensive destinations go through, flagged');
  t.match(decideOutbound({ ...base, dialled: '+19005550100' }), {
    ok: false,
    status: 403,
    reason: 'risk_premium_rate',
  });
  t.match(decideOutbound({ ...base, dialled: '+33142685300' }), {
    ok: false,
    status: 404,
    reason: 'no_route',
  });
  t.match(decideOutbound({ ...base, dialled: '+44207' }), { ok: false, status: 484, reason: 'bad_number' });
  t.match(decideOutbound({ ...base, dialled: '+442079460000', select: { isUp: () => false } }), {
    ok: false,
    status: 503,
    reason: 'gateways_down',
  });
});
