// Metrics of the voice policy and guards. Labels come from fixed lists (reasons, results) and the
// routing plan (carrier names, gateway host:port): never numbers, call or customer ids.
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../../platform/metrics.js';

/** Every reason a guard or policy refuses a call (the `reason` label). */
export type RejectionReason =
  | 'scanner'
  | 'source_blocked'
  | 'unknown_source'
  | 'auth_failed'
  | 'nonce_invalid'
  | 'customer_concurrency'
  | 'customer_cps'
  | 'spend_velocity'
  | 'carrier_concurrency'
  | 'carrier_cps'
  | 'risk_premium_rate'
  | 'risk_high_risk'
  | 'caller_id'
  | 'bad_number'
  | 'no_route'
  | 'sdp_policy';

export function policyMetrics(registry: Registry) {
  return {
    rejections: counter(
      registry,
      'voice_policy_rejections_total',
      'Calls refused by the voice policy and guards',
      ['reason'],
    ),
    decision: histogram(
      registry,
      'voice_policy_decision_seconds',
      'Pure routing decision time in RoutingDecider (normalise, number lookup or carrier selection, risk check)',
      ['direction'],
      [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01],
    ),
    gatewayUp: gauge(registry, 'voice_gateway_up', 'Carrier gateway in service (1) or down (0)', [
      'carrier',
      'gateway',
    ]),
    gatewayPings: counter(registry, 'voice_gateway_pings_total', 'OPTIONS pings sent to carrier gateways', [
      'carrier',
      'result',
    ]),
    gatewayMarkedDown: counter(
      registry,
      'voice_gateway_marked_down_total',
      'Carrier gateways taken out of service',
      ['carrier', 'reason'],
    ),
    stateErrors: counter(
      registry,
      'voice_guard_state_errors_total',
      'Shared-state failures met by a guard (limits and blocks fail open, authentication fails closed)',
      ['guard'],
    ),
  };
}
export type PolicyMetrics = ReturnType<typeof policyMetrics>;
