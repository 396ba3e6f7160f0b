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

interface Entry {
  carrier: Carrier;
  route: Route;
  gateways: readonly Gateway[];
}

const byPolicy = (a: Entry, b: Entry) =>
  a.carrier.tier - b.carrier.tier ||
  a.route.priority - b.route.priority ||
  a.route.cost - b.route.cost ||
  (a.carrier.name < b.carrier.name ? -1 : a.carrier.name > b.carrier.name ? 1 : 0);

export class RouteTable {
  readonly #index: PrefixIndex<Entry[]>;
  readonly #countries: ReadonlyMap<string, VoiceCountry>;
  readonly buildMs: number;

  constructor(plan: PlanInput) {
    const started = performance.now();
    const gatewaysOf = new Map<string, Gateway[]>();
    for (const g of plan.gateways) {
      if (g.direction === 'inbound') continue;
      const list = gatewaysOf.get(g.carrierId) ?? [];
      list.push(g);
      gatewaysOf.set(g.carrierId, list);
    }
    for (const list of gatewaysOf.values()) list.sort((a, b) => a.priority - b.priority);
    const byPrefix = new Map<string, Entry[]>();
    for (const route of plan.routes) {
      if (route.kind !== 'voice') continue;
      const carrier = plan.carriers.get(route.carrierId);
      if (!carrier || carrier.status !== 'active' || carrier.category === 'sms_aggregator') continue;
      const list = byPrefix.get(route.prefix) ?? [];
      list.push({ carrier, route, gateways: gatewaysOf.get(carrier.id) ?? [] });
      byPrefix.set(route.prefix, list);
    }
    for (const list of byPrefix.values()) list.sort(byPolicy);
    this.#index = new PrefixIndex(byPrefix);
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
    for (const e of hit.value) {
      if (ctx.excludeCarriers?.has(e.carrier.id)) {
        skipped.push({ carrierId: e.carrier.id, reason: 'excluded' });
        continue;
      }
      const up = ctx.isUp ? e.gateways.filter(ctx.isUp) : e.gateways;
      if (up.length === 0) {
        skipped.push({ carrierId: e.carrier.id, reason: 'gateways_down' });
        continue;
      }
      const first =
        requiresLicensed && e.carrier.licensed && e.carrier.countries.includes(ctx.country as string);
      (first ? licensed : others).push({
        carrier: e.carrier,
        route: e.route,
        gateways: up,
        licensedFirst: first,
      });
    }
    return { prefix: hit.prefix, candidates: licensed.concat(others), skipped };
  }
}
