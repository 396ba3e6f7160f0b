// The routing decision as the call handlers use it: the route table rebuilt from each plan snapshot,
// the risk list from the configuration, the number cache for DIDs, gateway health for selection;
// each decision timed (voice_policy_decision_seconds) and each refusal counted.
import type { Logger } from 'pino';
import type { PlanCache, PlanSnapshot } from '../plan/plan-cache.js';
import type { Carrier, Gateway } from '../plan/plan.repo.js';
import { voiceSettingsOf } from '../plan/carrier-settings.js';
import type { NumberEntry } from '../accounts/number-settings.js';
import type { VoiceConfig } from '../config/sections/voice.js';
import { RouteTable } from '../routing/route-table.js';
import { RiskList } from '../routing/risk.js';
import { E164_CONVENTION, type NumberingConvention } from '../routing/normalize.js';
import {
  decideInbound,
  decideOutbound,
  type InboundDecision,
  type OutboundDecision,
} from '../routing/decide.js';
import type { PolicyMetrics, RejectionReason } from './guards/policy-metrics.js';

// Carriers are immutable within a plan snapshot: their conventions are computed once per object.
const conventions = new WeakMap<Carrier, NumberingConvention>();

/** A carrier's numbering conventions from its voice settings. */
export function conventionOf(carrier: Carrier): NumberingConvention {
  let c = conventions.get(carrier);
  if (!c) {
    const s = voiceSettingsOf(carrier.settings);
    c = {
      numberFormat: s.numberFormat,
      techPrefix: s.techPrefix,
      nationalCountry: s.nationalCountry ?? carrier.countries[0],
      calledNumberIn: s.calledNumberIn,
    };
    conventions.set(carrier, c);
  }
  return c;
}

const METRIC_REASON: Partial<Record<string, RejectionReason>> = {
  bad_number: 'bad_number',
  risk_premium_rate: 'risk_premium_rate',
  risk_high_risk: 'risk_high_risk',
  no_route: 'no_route',
  gateways_down: 'no_route',
};

export class RoutingDecider {
  #table: RouteTable;
  readonly #risk: RiskList;

  constructor(
    private readonly deps: {
      plan: PlanCache;
      numbers: { get(e164: string): NumberEntry | undefined };
      config: Pick<VoiceConfig, 'riskPrefixes'> & Partial<Pick<VoiceConfig, 'unavailableNumberStatus'>>;
      metrics: PolicyMetrics;
      log: Logger;
      /** Gateway health predicate (GatewayHealth.isUp); all in service when absent. */
      isUp?: (g: Gateway) => boolean;
    },
  ) {
    this.#risk = new RiskList(deps.config.riskPrefixes);
    this.#table = this.#build(deps.plan.snapshot);
    deps.plan.onChange((snap) => {
      this.#table = this.#build(snap);
    });
  }

  #build(snap: PlanSnapshot): RouteTable {
    const table = new RouteTable(snap);
    this.deps.log.info(
      { prefixes: table.prefixes, ms: Math.round(table.buildMs), planVersion: snap.version },
      'voice route table built',
    );
    return table;
  }

  get table(): RouteTable {
    return this.#table;
  }

  get risk(): RiskList {
    return this.#risk;
  }

  /** A call from a carrier: its called number (as the carrier writes it) to a DID of ours. */
  inbound(called: string | undefined, carrier: Carrier | undefined, callId?: string): InboundDecision {
    const started = process.hrtime.bigint();
    const d = decideInbound({
      called,
      convention: carrier ? conventionOf(carrier) : E164_CONVENTION,
      lookup: (e) => this.deps.numbers.get(e),
      ...(this.deps.config.unavailableNumberStatus
        ? { inactiveStatus: this.deps.config.unavailableNumberStatus }
        : {}),
    });
    this.deps.metrics.decision.observe(
      { direction: 'inbound' },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    if (!d.ok) {
      if (d.reason === 'bad_number') this.deps.metrics.rejections.inc({ reason: 'bad_number' });
      this.deps.log.info({ callId, reason: d.reason, status: d.status }, 'inbound call refused by routing');
    }
    return d;
  }

  /** A call from a customer trunk (numbers in E.164 unless a convention is given) to carriers. */
  outbound(
    dialled: string | undefined,
    opts: { callId?: string; convention?: NumberingConvention; excludeCarriers?: ReadonlySet<string> } = {},
  ): OutboundDecision {
    const started = process.hrtime.bigint();
    const d = decideOutbound({
      dialled,
      convention: opts.convention ?? E164_CONVENTION,
      routes: this.#table,
      risk: this.#risk,
      select: {
        ...(this.deps.isUp ? { isUp: this.deps.isUp } : {}),
        ...(opts.excludeCarriers ? { excludeCarriers: opts.excludeCarriers } : {}),
      },
    });
    this.deps.metrics.decision.observe(
      { direction: 'outbound' },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    if (!d.ok) {
      const reason = METRIC_REASON[d.reason];
      if (reason) this.deps.metrics.rejections.inc({ reason });
      this.deps.log.info(
        { callId: opts.callId, reason: d.reason, status: d.status },
        'outbound call refused by routing',
      );
    }
    return d;
  }
}
