// The full routing decision of a call, pure: normalise the number, then for an inbound call look up
// the DID, for an outbound call check the risk list and select carriers. Every refusal carries the
// SIP status to answer and a reason for logs and metrics.
import type { NumberEntry } from '../accounts/number-settings.js';
import { toE164, type NumberingConvention, type NormalizeFailure } from './normalize.js';
import type { RouteTable, SelectContext, SelectResult } from './route-table.js';
import type { RiskHit, RiskList } from './risk.js';

export type InboundDecision =
  | { ok: true; e164: string; country: string | undefined; number: NumberEntry }
  | {
      ok: false;
      status: number;
      reason: 'bad_number' | 'unknown_number' | 'number_suspended' | 'number_pending_kyc';
      detail: string;
      normalize?: NormalizeFailure;
    };

export function decideInbound(input: {
  called: string | undefined;
  convention: NumberingConvention;
  lookup: (e164: string) => NumberEntry | undefined;
  /** Status for suspended or KYC-pending numbers (480 Temporarily Unavailable by default). */
  inactiveStatus?: number;
}): InboundDecision {
  const n = toE164(input.called, input.convention);
  if (!n.ok) return { ok: false, status: 404, reason: 'bad_number', detail: n.detail, normalize: n.reason };
  const number = input.lookup(n.e164);
  if (!number)
    return { ok: false, status: 404, reason: 'unknown_number', detail: `${n.e164} is not a DID of ours` };
  if (number.status === 'suspended')
    return {
      ok: false,
      status: input.inactiveStatus ?? 480,
      reason: 'number_suspended',
      detail: 'number suspended',
    };
  if (number.status === 'pending_kyc')
    return {
      ok: false,
      status: input.inactiveStatus ?? 480,
      reason: 'number_pending_kyc',
      detail: 'KYC pending',
    };
  return { ok: true, e164: n.e164, country: n.country, number };
}

export type OutboundDecision =
  | {
      ok: true;
      e164: string;
      country: string | undefined;
      /** On the risk list as 'expensive': counts toward the spend-velocity limit. */
      expensive: boolean;
      risk: RiskHit | undefined;
      route: SelectResult;
    }
  | {
      ok: false;
      status: number;
      reason: 'bad_number' | 'risk_premium_rate' | 'risk_high_risk' | 'no_route' | 'gateways_down';
      detail: string;
      normalize?: NormalizeFailure;
    };

export function decideOutbound(input: {
  dialled: string | undefined;
  convention: NumberingConvention;
  routes: RouteTable;
  risk: RiskList;
  select?: Omit<SelectContext, 'country'>;
}): OutboundDecision {
  const n = toE164(input.dialled, input.convention);
  // 484 Address Incomplete: the caller can correct the number.
  if (!n.ok) return { ok: false, status: 484, reason: 'bad_number', detail: n.detail, normalize: n.reason };
  const risk = input.risk.check(n.e164);
  if (risk?.action === 'block')
    return {
      ok: false,
      status: 403,
      reason: `risk_${risk.reason}`,
      detail: `destination prefix ${risk.prefix} is blocked`,
    };
  const route = input.routes.select(n.e164, { ...input.select, country: n.country });
  if (route.candidates.length === 0) {
    if (route.skipped.some((s) => s.reason === 'gateways_down'))
      return {
        ok: false,
        status: 503,
        reason: 'gateways_down',
        detail: 'every carrier for this destination is out of service',
      };
    return { ok: false, status: 404, reason: 'no_route', detail: 'no route for this destination' };
  }
  return { ok: true, e164: n.e164, country: n.country, expensive: risk?.action === 'expensive', risk, route };
}
