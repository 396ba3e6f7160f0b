// The routing policy and guards (src/routing/, src/voice/guards/, built by voice-policy), assembled
// for the call flows of this instance and kept current with the routing plan: carrier recognition
// and the route table are rebuilt on each plan snapshot; the trunk directory reloads on trunk
// changes; gateway health pings over the SBCs and shares its view through shared state.
import type { Logger } from 'pino';
import type { FeatureContext } from '../feature.js';
import type { PlanSnapshot } from '../plan/plan-cache.js';
import type { Gateway } from '../plan/plan.repo.js';
import { RouteTable } from '../routing/route-table.js';
import { RiskList } from '../routing/risk.js';
import type { LeakGuard } from '../routing/header-policy.js';
import { TrunkDirectory } from '../cache/trunk-directory.js';
import { CarrierRecognizer, TrunkAuth } from './guards/trunk-auth.js';
import { SourceGuard } from './guards/source-block.js';
import { CallLimits } from './guards/limits.js';
import { GatewayHealth, type SendOptions } from './guards/gateway-health.js';
import { policyMetrics, type PolicyMetrics } from './guards/policy-metrics.js';

export class VoicePolicy {
  recognizer: CarrierRecognizer;
  routes: RouteTable;
  readonly risk: RiskList;
  readonly trunks: TrunkDirectory;
  readonly auth: TrunkAuth;
  readonly sources: SourceGuard;
  readonly limits: CallLimits;
  readonly health: GatewayHealth;
  readonly metrics: PolicyMetrics;
  leakGuard: LeakGuard;
  #snapshot: PlanSnapshot;

  constructor(ctx: FeatureContext, log: Logger, sendOptions: SendOptions) {
    const v = ctx.config.voice;
    this.metrics = policyMetrics(ctx.metrics);
    this.#snapshot = ctx.plan.snapshot;
    this.recognizer = new CarrierRecognizer(this.#snapshot);
    this.routes = new RouteTable(this.#snapshot);
    this.risk = new RiskList(v.riskPrefixes);
    this.trunks = new TrunkDirectory(ctx.stores.router, ctx.bus, log, ctx.metrics);
    this.auth = new TrunkAuth({
      state: ctx.state,
      trunks: this.trunks,
      envelope: ctx.envelope,
      realm: v.digest.realm,
      nonceTtlMs: v.digest.nonceTtlMs,
      metrics: this.metrics,
      log,
    });
    this.sources = new SourceGuard({
      state: ctx.state,
      config: v.sourceBlock,
      scannerUserAgents: v.scannerUserAgents,
      metrics: this.metrics,
      log,
    });
    this.limits = new CallLimits({ state: ctx.state, config: v.limits, metrics: this.metrics, log });
    this.health = new GatewayHealth({
      state: ctx.state,
      config: v.gatewayHealth,
      sendOptions,
      carrierName: (g: Gateway) => this.#snapshot.carriers.get(g.carrierId)?.name ?? 'unknown',
      instanceId: ctx.config.instance.id,
      metrics: this.metrics,
      log,
    });
    this.leakGuard = this.#leakGuard(ctx);
    this.health.setGateways(this.#snapshot.gateways);
    ctx.plan.onChange((s) => this.#install(s, ctx));
  }

  get snapshot(): PlanSnapshot {
    return this.#snapshot;
  }

  async start(): Promise<void> {
    await this.trunks.load();
    this.health.start();
  }

  async stop(): Promise<void> {
    await this.health.stop();
  }

  #install(s: PlanSnapshot, ctx: FeatureContext): void {
    this.#snapshot = s;
    this.recognizer = new CarrierRecognizer(s);
    this.routes = new RouteTable(s);
    this.health.setGateways(s.gateways);
    this.leakGuard = this.#leakGuard(ctx);
  }

  #leakGuard(ctx: FeatureContext): LeakGuard {
    const s = this.#snapshot;
    return {
      internalHosts: [
        ...s.gateways.map((g) => g.host),
        ...ctx.config.sbcs.map((b) => b.host),
        ctx.config.edge.appHost,
      ],
      carrierNames: [...s.carriers.values()].map((c) => c.name),
    };
  }
}
