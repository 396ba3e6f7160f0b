// A small routing plan for the routing unit tests.
import type { Carrier, Gateway, Route, VoiceCountry } from '../../../src/plan/plan.repo.js';

export function carrier(id: string, over: Partial<Carrier> = {}): Carrier {
  return {
    id,
    name: `Carrier ${id}`,
    category: 'tier1_voice',
    countries: [],
    regions: ['NOAM'],
    status: 'active',
    tier: 1,
    licensed: false,
    settings: {},
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...over,
  };
}

export function gateway(id: string, carrierId: string, over: Partial<Gateway> = {}): Gateway {
  return {
    id,
    carrierId,
    direction: 'both',
    host: `gw-${id}.example.net`,
    port: 5060,
    transport: 'udp',
    priority: 100,
    matchPort: false,
    matchTransport: false,
    settings: {},
    ...over,
  };
}

let n = 0;
export function route(prefix: string, carrierId: string, priority = 100, cost = 0): Route {
  n += 1;
  return { id: `r${n}`, kind: 'voice', prefix, carrierId, priority, cost };
}

export function plan(
  carriers: Carrier[],
  gateways: Gateway[],
  routes: Route[],
  countries: VoiceCountry[] = [],
) {
  return {
    carriers: new Map(carriers.map((c) => [c.id, c])),
    gateways,
    routes,
    countries: new Map(countries.map((c) => [c.country, c])),
  };
}
