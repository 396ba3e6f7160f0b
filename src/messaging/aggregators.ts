// Which aggregators may carry an outbound message, in order: SMS routes of the plan by longest prefix
// of the destination's digits, then priority, then cost; only active sms_aggregator carriers that
// serve the customer's region (a carrier with no regions serves all). Pure over a plan snapshot.
import type { Region } from '../config/index.js';
import type { PlanSnapshot } from '../plan/plan-cache.js';
import type { Carrier } from '../plan/plan.repo.js';

export function chooseAggregators(plan: PlanSnapshot, e164: string, region: Region): Carrier[] {
  const digits = e164.replace(/^\+/, '');
  const candidates = plan.routes
    .filter((r) => r.kind === 'sms' && digits.startsWith(r.prefix))
    .sort((a, b) => b.prefix.length - a.prefix.length || a.priority - b.priority || a.cost - b.cost);
  const out: Carrier[] = [];
  for (const r of candidates) {
    const c = plan.carriers.get(r.carrierId);
    if (!c || c.status !== 'active' || c.category !== 'sms_aggregator') continue;
    if (c.regions.length && !c.regions.includes(region)) continue;
    if (!out.includes(c)) out.push(c);
  }
  return out;
}
