// Carriers as the call flows see them: which carrier an INVITE comes from (by source address, and
// port/transport where the gateway asks for it), and where a call to a number goes out.
import type { PlanCache, PlanSnapshot } from '../plan/plan-cache.js';
import type { Carrier, Gateway } from '../plan/plan.repo.js';
import { VoiceCarrierSettingsSchema, type VoiceCarrierSettings } from '../plan/carrier-settings.js';
import { Value } from '@sinclair/typebox/value';

export interface KnownCarrier {
  carrier: Carrier;
  gateway: Gateway;
  voice: VoiceCarrierSettings;
}

/** Gateway settings the recognition reads (carrier_gateways.settings). */
interface GatewayMatch {
  /** Match the source port too (several trunks behind one address). */
  matchPort?: boolean;
  /** Match the transport too. */
  matchTransport?: boolean;
}

export function voiceSettings(c: Carrier): VoiceCarrierSettings {
  return Value.Default(
    VoiceCarrierSettingsSchema,
    structuredClone(c.settings.voice ?? {}),
  ) as VoiceCarrierSettings;
}

/** Index of inbound gateways by source address, rebuilt on each plan snapshot. */
export class CarrierDirectory {
  #byHost = new Map<string, KnownCarrier[]>();
  #settings = new Map<string, VoiceCarrierSettings>();
  #snapshot: PlanSnapshot | undefined;

  constructor(plan: PlanCache) {
    this.#build(plan.snapshot);
    plan.onChange((s) => this.#build(s));
  }

  get snapshot(): PlanSnapshot | undefined {
    return this.#snapshot;
  }

  #build(s: PlanSnapshot): void {
    const byHost = new Map<string, KnownCarrier[]>();
    const settings = new Map<string, VoiceCarrierSettings>();
    for (const c of s.carriers.values()) settings.set(c.id, voiceSettings(c));
    for (const g of s.gateways) {
      const carrier = s.carriers.get(g.carrierId);
      if (!carrier || carrier.status !== 'active' || g.direction === 'outbound') continue;
      const list = byHost.get(g.host) ?? [];
      list.push({ carrier, gateway: g, voice: settings.get(carrier.id) as VoiceCarrierSettings });
      byHost.set(g.host, list);
    }
    // Most specific first: gateways that match on port before address-only ones.
    for (const list of byHost.values())
      list.sort(
        (a, b) =>
          Number(!!(b.gateway.settings as GatewayMatch).matchPort) -
          Number(!!(a.gateway.settings as GatewayMatch).matchPort),
      );
    this.#byHost = byHost;
    this.#settings = settings;
    this.#snapshot = s;
  }

  settingsOf(carrierId: string): VoiceCarrierSettings | undefined {
    return this.#settings.get(carrierId);
  }

  /** The carrier an INVITE from this source belongs to, if any. */
  recognise(address: string, port: number, transport: string): KnownCarrier | undefined {
    for (const k of this.#byHost.get(address) ?? []) {
      const m = k.gateway.settings as GatewayMatch;
      if (m.matchPort && k.gateway.port !== port) continue;
      if (m.matchTransport && k.gateway.transport !== transport.toLowerCase()) continue;
      return k;
    }
    return undefined;
  }
}
