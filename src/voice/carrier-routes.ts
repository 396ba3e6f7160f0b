// Where a call to an E.164 number goes out: the carriers of the longest matching route prefix, by
// priority then cost, each with its usable gateways. The seam the call flows call (`CarrierRouter`);
// voice-policy's route table (src/routing/) provides the full policy (licensed in-country carriers
// first, tiers) behind the same interface.
import type { PlanSnapshot } from '../plan/plan-cache.js';
import type { Carrier, Gateway } from '../plan/plan.repo.js';
import type { VoiceCarrierSettings } from '../plan/carrier-settings.js';
import { voiceSettings } from './carriers.js';

export interface CarrierChoice {
  carrier: Carrier;
  voice: VoiceCarrierSettings;
  gateways: Gateway[];
  routeId: string;
  prefix: string;
}

export interface CarrierRouter {
  select(e164: string): CarrierChoice[];
}

/** Longest-prefix match over the plan's voice routes. */
export class PlanCarrierRouter implements CarrierRouter {
  constructor(private readonly plan: () => PlanSnapshot) {}

  select(e164: string): CarrierChoice[] {
    const s = this.plan();
    const digits = e164.replace(/^\+/, '');
    let best = -1;
    for (const r of s.routes)
      if (r.kind === 'voice' && digits.startsWith(r.prefix) && r.prefix.length > best) best = r.prefix.length;
    if (best < 0) return [];
    const out: CarrierChoice[] = [];
    const routes = s.routes
      .filter((r) => r.kind === 'voice' && r.prefix.length === best && digits.startsWith(r.prefix))
      .sort((a, b) => a.priority - b.priority || a.cost - b.cost);
    for (const r of routes) {
      const carrier = s.carriers.get(r.carrierId);
      if (!carrier || carrier.status !== 'active' || out.some((o) => o.carrier.id === carrier.id)) continue;
      const gateways = s.gateways
        .filter((g) => g.carrierId === carrier.id && g.direction !== 'inbound')
        .sort((a, b) => a.priority - b.priority);
      if (gateways.length === 0) continue;
      out.push({ carrier, voice: voiceSettings(carrier), gateways, routeId: r.id, prefix: r.prefix });
    }
    return out;
  }
}

/** The number as this carrier wants it in the Request-URI. */
export function formatForCarrier(e164: string, v: VoiceCarrierSettings): string {
  const digits = e164.replace(/^\+/, '');
  const number = v.numberFormat === 'e164' ? `+${digits}` : digits;
  return `${v.techPrefix}${number}`;
}

export function gatewayUri(user: string, g: Gateway): string {
  const transport = g.transport === 'udp' ? '' : `;transport=${g.transport === 'tls' ? 'tls' : 'tcp'}`;
  return `sip:${user}@${g.host}:${g.port}${transport}`;
}
