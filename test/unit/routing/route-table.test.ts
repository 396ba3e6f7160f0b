// Carrier selection: longest prefix, licensed first where required, tier, priority, cost, health.
import t from 'tap';
import { RouteTable } from '../../../src/routing/route-table.js';
import { carrier, gateway, route, plan } from './fixtures.js';

const names = (r: ReturnType<RouteTable['select']>) => r.candidates.map((c) => c.carrier.id);

t.test('longest prefix wins; tier 1 before tier 2, then priority, then cost', async (t) => {
  const table = new RouteTable(
    plan(
      [carrier('a'), carrier('b'), carrier('c', { tier: 2 }), carrier('d'), carrier('e')],
      [gateway('ga', 'a'), gateway('gb', 'b'), gateway('gc', 'c'), gateway('gd', 'd'), gateway('ge', 'e')],
      [
        route('1', 'a', 100, 0.01),
        route('1202', 'c', 1, 0.0001), // secondary tier: last despite priority and cost
        route('1202', 'b', 100, 0.005),
        route('1202', 'd', 100, 0.004), // same priority, cheaper: before b
        route('1202', 'e', 50, 0.05), // better priority: first
        route('44', 'a'),
      ],
    ),
  );
  const r = table.select('+12025550100');
  t.equal(r.prefix, '1202');
  t.same(names(r), ['e', 'd', 'b', 'c']);
  t.same(names(table.select('+13035550100')), ['a'], 'shorter prefix for another area');
  t.same(table.select('+33142685300'), { prefix: undefined, candidates: [], skipped: [] });
  t.equal(table.prefixes, 3);
});

t.test('an in-country licensed carrier first where the country requires it', async (t) => {
  const carriers = [
    carrier('tier1', { tier: 1 }),
    carrier('uk-licensed', { category: 'regional_voice', licensed: true, countries: ['GB'], tier: 2 }),
    carrier('fr-licensed', { category: 'regional_voice', licensed: true, countries: ['FR'] }),
  ];
  const gws = carriers.map((c) => gateway(`g-${c.id}`, c.id));
  const routes = [
    route('44', 'tier1', 10, 0.001),
    route('44', 'uk-licensed', 100, 0.02),
    route('44', 'fr-licensed', 100, 0.001),
  ];
  const required = new RouteTable(
    plan(carriers, gws, routes, [{ country: 'GB', requiresLicensed: true, pin: 'none' }]),
  );
  const r = required.select('+442079460000', { country: 'GB' });
  t.same(
    names(r),
    ['uk-licensed', 'tier1', 'fr-licensed'],
    'licensed in GB first, licence elsewhere does not count',
  );
  t.ok(r.candidates[0]?.licensedFirst);
  const notRequired = new RouteTable(plan(carriers, gws, routes));
  t.same(names(notRequired.select('+442079460000', { country: 'GB' })), [
    'tier1',
    'fr-licensed',
    'uk-licensed',
  ]);
  t.same(
    names(required.select('+442079460000')),
    ['tier1', 'fr-licensed', 'uk-licensed'],
    'no country: no rule',
  );
});

t.test('gateways out of service are skipped; carriers without one left out', async (t) => {
  const table = new RouteTable(
    plan(
      [
        carrier('a'),
        carrier('b'),
        carrier('off', { status: 'disabled' }),
        carrier('sms', { category: 'sms_aggregator' }),
      ],
      [
        gateway('a1', 'a', { priority: 10 }),
        gateway('a2', 'a', { priority: 20 }),
        gateway('a-in', 'a', { direction: 'inbound', priority: 1 }),
        gateway('b1', 'b'),
        gateway('off1', 'off'),
        gateway('sms1', 'sms'),
      ],
      [route('1', 'a', 1), route('1', 'b', 2), route('1', 'off', 0), route('1', 'sms', 0)],
    ),
  );
  const all = table.select('12025550100');
  t.same(names(all), ['a', 'b'], 'disabled and SMS carriers never route voice');
  t.same(
    all.candidates[0]?.gateways.map((g) => g.id),
    ['a1', 'a2'],
    'inbound-only gateway not used, priority order',
  );
  const down = new Set(['a1', 'b1']);
  const r = table.select('+12025550100', { isUp: (g) => !down.has(g.id) });
  t.same(names(r), ['a']);
  t.same(
    r.candidates[0]?.gateways.map((g) => g.id),
    ['a2'],
  );
  t.same(r.skipped, [{ carrierId: 'b', reason: 'gateways_down' }]);
  const ex = table.select('+12025550100', { excludeCarriers: new Set(['a']) });
  t.same(names(ex), ['b']);
  t.same(ex.skipped, [{ carrierId: 'a', reason: 'excluded' }]);
});

t.test('100,000 prefixes build in well under a second', async (t) => {
  const carriers = Array.from({ length: 20 }, (_, i) => carrier(`c${i}`));
  const gws = carriers.map((c) => gateway(`g${c.id}`, c.id));
  const routes = [];
  for (let i = 0; i < 100_000; i++)
    routes.push(route(String(1_000_000 + i * 7).slice(0, 7), `c${i % 20}`, i % 5, (i % 13) / 1000));
  const table = new RouteTable(plan(carriers, gws, routes));
  t.ok(table.prefixes > 50_000, `${table.prefixes} distinct prefixes`);
  // Not a timing assertion on a shared machine: the bench measures it; here it must just work.
  t.ok(table.buildMs >= 0, `built in ${table.buildMs.toFixed(0)} ms`);
  t.ok(table.select('+1000007123456').candidates.length > 0);
});
