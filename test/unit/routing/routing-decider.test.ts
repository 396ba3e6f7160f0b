// RoutingDecider: rebuilds its table when the plan changes, applies carrier conventions, times and
// counts decisions (PlanCache installed without a database, as benchmarks do).
import t from 'tap';
import pino from 'pino';
import { Registry } from 'prom-client';
import { PlanCache } from '../../../src/plan/plan-cache.js';
import { RoutingDecider, conventionOf } from '../../../src/voice/routing-decider.js';
import { policyMetrics } from '../../../src/voice/guards/policy-metrics.js';
import type { NumberEntry } from '../../../src/accounts/number-settings.js';
import { carrier, gateway, route } from './fixtures.js';

t.test('decisions follow the plan, use carrier conventions, and are measured', async (t) => {
  const log = pino({ level: 'silent' });
  const registry = new Registry();
  const bus = { on: () => undefined } as unknown as ConstructorParameters<typeof PlanCache>[1];
  const plan = new PlanCache({} as ConstructorParameters<typeof PlanCache>[0], bus, log, registry);
  const uk = carrier('uk', {
    countries: ['GB'],
    settings: { voice: { numberFormat: 'national', techPrefix: '11#' } as never },
  });
  const numbers = new Map<string, NumberEntry>([
    ['+442079460000', { e164: '+442079460000', status: 'suspended' } as NumberEntry],
  ]);
  const decider = new RoutingDecider({
    plan,
    numbers,
    config: {
      riskPrefixes: [{ prefix: '1900', reason: 'premium_rate', action: 'block' }],
      unavailableNumberStatus: 486,
    },
    metrics: policyMetrics(registry),
    log,
  });
  t.match(decider.outbound('+442079460000'), { ok: false, status: 404, reason: 'no_route' }, 'empty plan');
  plan.install({ carriers: [uk], gateways: [gateway('g', 'uk')], routes: [route('44', 'uk')], binds: [] });
  const o = decider.outbound('+442079460000');
  t.ok(o.ok && o.route.candidates[0]?.carrier.id === 'uk', 'table rebuilt on plan change');
  t.match(decider.outbound('+19005550100'), { ok: false, status: 403, reason: 'risk_premium_rate' });
  t.same(conventionOf(uk), {
    numberFormat: 'national',
    techPrefix: '11#',
    nationalCountry: 'GB',
    calledNumberIn: 'request-uri',
  });
  t.match(
    decider.inbound('11#02079460000', uk),
    { ok: false, status: 486, reason: 'number_suspended' },
    'configured status',
  );
  t.match(decider.inbound('02079460000', uk), {
    ok: false,
    status: 404,
    reason: 'bad_number',
    normalize: 'missing_tech_prefix',
  });
  const text = await registry.metrics();
  t.match(text, /voice_policy_decision_seconds_count\{direction="outbound"\} 3/);
  t.match(text, /voice_policy_decision_seconds_count\{direction="inbound"\} 2/);
  t.match(text, /voice_policy_rejections_total\{reason="risk_premium_rate"\} 1/);
  t.match(text, /voice_policy_rejections_total\{reason="bad_number"\} 1/);
});
