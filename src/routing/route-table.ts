// Outbound carrier selection, built once per routing-plan snapshot: longest-prefix match on the
// E.164 destination, then the category policy. Per prefix, carriers are pre-sorted at build time by
// tier (1 primary, 2 secondary), priority, then cost; at selection time carriers licensed in the
// destination country move first when that country requires a domestic licensee, and carriers with
// no gateway in service are skipped. Pure: the gateway health comes in as a predicate.
import type { Carrier, Gateway, Route, VoiceCountry } from '../plan/plan.repo.js';
import { PrefixIndex } from './prefix-index.js';

export interface RouteCandidate {
  carrier: Carrier;
  route: Route;
  /** Outbound gateways of the carrier in service, by gateway priority. */
  gateways: readonly Gateway[];
  /** True when this carrier was moved first as an in-country licensee. */
  licensedFirst: boolean;
}

export interface SelectContext {
  /** ISO country of the destination (normalize's result); enables the licensed-carrier rule. */
  country?: string | undefined;
  /** Gateway health; a gateway for which it answers false is skipped. Default: all in service. */
  isUp?: (gateway: Gateway) => boolean;
  /** Carriers to leave out (e.g. already tried). */
  excludeCarriers?: ReadonlySet<string>;
}

export interface SelectResult {
  /** The matching prefix ('' for a default route), or undefined when no route matches. */
  prefix: string | undefined;
  candidates: RouteCandidate[];
  /** Carriers of the matching prefix left out, and why (for logs and metrics). */
  skipped: { carrierId: string; reason: 'gateways_down' | 'excluded' }[];
}

export interface PlanInput {
  carriers: ReadonlyMap<string, Carrier>;
  gateways: readonly Gateway[];
  routes: readonly Route[];
  countries?: ReadonlyMap<string, VoiceCountry>;
}

const byPolicy = (carriers: ReadonlyMap<string, Carrier>) => (a: Route, b: Route) => {
  const ca = carriers.get(a.carrierId) as Carrier;
  const cb = carriers.get(b.carrierId) as Carrier;
  return (
    ca.tier - cb.tier ||
    a.priority - b.priority ||
    a.cost - b.cost ||
    (ca.name < cb.name ? -1 : ca.name > cb.name ? 1 : 0)
  );
};

const NO_GATEWAYS: readonly Gateway[] = [];

export class RouteTable {
  // Per prefix, the routes in policy order (route objects of the plan: nothing copied per route).
  readonly #index: PrefixIndex<Route[]>;
  readonly #carriers: ReadonlyMap<string, Carrier>;
  readonly #gateways: ReadonlyMap<string, readonly Gateway[]>;
  readonly #countries: ReadonlyMap<string, VoiceCountry>;
  readonly buildMs: number;

  constructor(plan: PlanInput) {
    const started = performance.now();
    const gatewaysOf = new Map<string, Gateway[]>();
    for (const g of plan.gateways) {
      if (g.direction === 'inbound') continue;
      const list = gatewaysOf.get(g.carrierId);
      if (list) list.push(g);
      else gatewaysOf.set(g.carrierId, [g]);
    }
    for (const list of gatewaysOf.values()) list.sort((a, b) => a.priority - b.priority);
    const usable = (id: string) => {
      const c = plan.carriers.get(id);
      return c !== undefined && c.status === 'active' && c.category !== 'sms_aggregator';
    };
    const byPrefix = new Map<string, Route[]>();
    for (const route of plan.routes) {
      if (route.kind !== 'voice' || !usable(route.carrierId)) continue;
      const list = byPrefix.get(route.prefix);
      if (list) list.push(route);
      else byPrefix.set(route.prefix, [route]);
    }
    const order = byPolicy(plan.carriers);
    for (const list of byPrefix.values()) if (list.length > 1) list.sort(order);
    this.#index = new PrefixIndex(byPrefix);
    this.#carriers = plan.carriers;
    this.#gateways = gatewaysOf;
    this.#countries = plan.countries ?? new Map();
    this.buildMs = performance.now() - started;
  }

  get prefixes(): number {
    return this.#index.size;
  }

  /** Ordered carrier candidates for an E.164 destination ('+' optional). */
  select(e164: string, ctx: SelectContext = {}): SelectResult {
    const digits = e164.charCodeAt(0) === 43 /* + */ ? e164.slice(1) : e164;
    const hit = this.#index.match(digits);
    if (!hit) return { prefix: undefined, candidates: [], skipped: [] };
    const requiresLicensed = ctx.country
      ? this.#countries.get(ctx.country)?.requiresLicensed === true
      : false;
    const licensed: RouteCandidate[] = [];
    const others: RouteCandidate[] = [];
    const skipped: SelectResult['skipped'] = [];
    for (const route of hit.value) {
      if (ctx.excludeCarriers?.has(route.carrierId)) {
        skipped.push({ carrierId: route.carrierId, reason: 'excluded' });
        continue;
      }
      const all = this.#gateways.get(route.carrierId) ?? NO_GATEWAYS;
      const up = ctx.isUp ? all.filter(ctx.isUp) : all;
      if (up.length === 0) {
        skipped.push({ carrierId: route.carrierId, reason: 'gateways_down' });
        continue;
      }
      const carrier = this.#carriers.get(route.carrierId) as Carrier;
      const first = requiresLicensed && carrier.licensed && carrier.countries.includes(ctx.country as string);
      (first ? licensed : others).push({ carrier, route, gateways: up, licensedFirst: first });
    }
    return { prefix: hit.prefix, candidates: licensed.concat(others), skipped };
  }
}
