// Everything the call control needs from the voice policy, built from the feature context in one
// call and kept in step with the routing plan: the trunk directory, carrier recognition, digest
// authentication, limits, source blocks, gateway health and the routing decider.
import type { FeatureContext } from '../../feature.js';
import { TrunkDirectory } from '../../cache/trunk-directory.js';
import { RoutingDecider } from '../routing-decider.js';
import { policyMetrics } from './policy-metrics.js';
import { CarrierRecognizer, TrunkAuth } from './trunk-auth.js';
import { CallLimits } from './limits.js';
import { SourceGuard } from './source-block.js';
import { GatewayHealth, type SendOptions } from './gateway-health.js';

export { policyMetrics, type PolicyMetrics, type RejectionReason } from './policy-metrics.js';
export {
  CarrierRecognizer,
  TrunkAuth,
  parseDigest,
  type SipSource,
  type DigestChallenge,
  type DigestResult,
} from './trunk-auth.js';
export { CallLimits, CallLease, releaseAll, type LimitRefusal } from './limits.js';
export { SourceGuard } from './source-block.js';
export { GatewayHealth, type SendOptions } from './gateway-health.js';

export interface VoicePolicy {
  metrics: ReturnType<typeof policyMetrics>;
  trunks: TrunkDirectory;
  /** Carrier recognition for the current plan (rebuilt on every plan change). */
  carriers(): CarrierRecognizer;
  auth: TrunkAuth;
  limits: CallLimits;
  sources: SourceGuard;
  health: GatewayHealth;
  decider: RoutingDecider;
  stop(): Promise<void>;
}

/**
 * Builds and starts the policy. `sendOptions` sends an OPTIONS to a gateway and resolves with the
 * SIP status (the call control passes srf.request); without it no pings are sent.
 */
export async function createVoicePolicy(
  ctx: Pick<
    FeatureContext,
    'config' | 'log' | 'metrics' | 'state' | 'bus' | 'stores' | 'plan' | 'numbers' | 'envelope'
  >,
  opts: { sendOptions?: SendOptions; pingRefreshMs?: number } = {},
): Promise<VoicePolicy> {
  const { config, state } = ctx;
  const voice = config.voice;
  const log = ctx.log.child({ component: 'voice-policy' });
  const metrics = policyMetrics(ctx.metrics);
  const trunks = new TrunkDirectory(ctx.stores.router, ctx.bus, log, ctx.metrics);
  await trunks.load();
  const health = new GatewayHealth({
    state,
    config: opts.sendOptions ? voice.gatewayHealth : { ...voice.gatewayHealth, pingIntervalMs: 0 },
    sendOptions: opts.sendOptions ?? (async () => 0),
    carrierName: (g) => ctx.plan.snapshot.carriers.get(g.carrierId)?.name ?? 'unknown',
    instanceId: config.instance.id || 'instance',
    metrics,
    log,
  });
  let carriers = new CarrierRecognizer(ctx.plan.snapshot);
  health.setGateways(ctx.plan.snapshot.gateways);
  ctx.plan.onChange((snap) => {
    carriers = new CarrierRecognizer(snap);
    health.setGateways(snap.gateways);
  });
  health.start(opts.pingRefreshMs);
  return {
    metrics,
    trunks,
    carriers: () => carriers,
    auth: new TrunkAuth({
      state,
      trunks,
      envelope: ctx.envelope,
      realm: voice.digest.realm,
      nonceTtlMs: voice.digest.nonceTtlMs,
      metrics,
      log,
    }),
    limits: new CallLimits({ state, config: voice.limits, metrics, log }),
    sources: new SourceGuard({
      state,
      config: voice.sourceBlock,
      scannerUserAgents: voice.scannerUserAgents,
      metrics,
      log,
    }),
    health,
    decider: new RoutingDecider({
      plan: ctx.plan,
      numbers: ctx.numbers,
      config: voice,
      metrics,
      log,
      isUp: health.isUp,
    }),
    stop: () => health.stop(),
  };
}
