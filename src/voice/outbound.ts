// Outbound calls (customer trunk → carrier): who is calling (IP allow-list, else SIP digest with a
// single-use nonce; failures count toward blocking the source), the called number, the destination
// risk list, the caller-ID policy (P-Asserted-Identity / Privacy), the customer's limits, then the
// carriers of the route table in order with failover (bridge.ts) under each carrier's limits.
import type { Region } from '../config/index.js';
import { E164_CONVENTION, toE164, uriUser } from '../routing/normalize.js';
import { decideCallerId, privacyRequested } from '../routing/caller-id.js';
import { callerIdentity, passHeaders } from '../routing/header-policy.js';
import type { Trunk } from '../accounts/trunks.repo.js';
import { CallRecord } from './call-record.js';
import type { CallControlDeps, CallFlows } from './call-types.js';
import type { SbcConnection } from './sbc/sbc-connection.js';
import type { Srf, SrfRequest, SrfResponse } from './sbc/srf-types.js';
import type { RejectionReason } from './guards/policy-metrics.js';

const LIMIT_REASONS = new Set<RejectionReason>([
  'customer_concurrency',
  'customer_cps',
  'spend_velocity',
  'carrier_concurrency',
  'carrier_cps',
]);

export class OutboundCalls {
  constructor(
    private readonly d: CallControlDeps,
    private readonly cc: CallFlows,
  ) {}

  async handle(
    srf: Srf,
    sbc: SbcConnection,
    req: SrfRequest,
    res: SrfResponse,
    receivedAt: bigint,
  ): Promise<void> {
    const { policy } = this.d;
    const sipCallId = req.get('call-id');
    const src = { address: req.source_address, port: req.source_port, transport: req.protocol || 'udp' };
    const refuse = (status: number, reason: RejectionReason, extra: Record<string, unknown> = {}): void => {
      // The limits count their own refusals.
      if (!LIMIT_REASONS.has(reason)) policy.metrics.rejections.inc({ reason });
      this.cc.reject(res, status, reason, sipCallId, { source: src.address, ...extra });
    };
    if ((await policy.sources.blocked(src.address)).blocked) return refuse(403, 'source_blocked');

    const trunk = await this.#authenticate(req, res, src.address, refuse);
    if (!trunk) return;

    const parsed = toE164(uriUser(req.uri), E164_CONVENTION);
    if (!parsed.ok) return refuse(404, 'bad_number', { why: parsed.reason });
    const e164 = parsed.e164;

    const record = new CallRecord('outbound', sbc.name, sbc.region, sipCallId ?? '');
    record.customerId = trunk.customerId;
    record.region = trunk.region as Region;
    record.called = e164;
    record.traceIn('A', req);
    const refuseWithCdr = (status: number, reason: RejectionReason): void => {
      refuse(status, reason, { callId: record.id });
      record.traceOut('A', `SIP/2.0 ${status}`);
      record.end('rejected', status, 'system', reason);
      this.cc.writeRecord(record, 'outbound', 'none');
    };

    const risk = policy.risk.check(e164);
    if (risk?.action === 'block')
      return refuseWithCdr(403, risk.reason === 'premium_rate' ? 'risk_premium_rate' : 'risk_high_risk');

    // Caller ID: the asserted identity if the customer's PBX sent one, else From.
    const claimedRaw = uriUser(
      req.get('p-asserted-identity') ?? req.get('p-preferred-identity') ?? req.get('from'),
    );
    const claimed =
      claimedRaw && !/^anonymous$/i.test(claimedRaw) ? toE164(claimedRaw, E164_CONVENTION) : undefined;
    const decision = decideCallerId({
      customerId: trunk.customerId,
      claimed: claimed?.ok ? claimed.e164 : undefined,
      ...(claimed && !claimed.ok ? { claimedProblem: 'invalid' as const } : {}),
      ownerOf: (n) => this.d.numbers.get(n)?.customerId,
      isVerified: (c, n) => policy.trunks.isVerified(c, n),
      policy: trunk.callerIdPolicy,
      privacyRequested: privacyRequested({ privacy: req.get('privacy'), from: req.get('from') }),
    });
    if (decision.action === 'reject') return refuseWithCdr(decision.status, 'caller_id');
    record.calling = decision.action === 'pass' ? decision.e164 : null;
    const identity = callerIdentity(
      decision.action === 'pass'
        ? { action: 'pass', e164: decision.e164, privacy: decision.privacy }
        : { action: 'withhold' },
      this.d.config.calls.publicHost,
    );

    const limit = await policy.limits.acquireCustomer({
      callId: record.id,
      customerId: trunk.customerId,
      limits: trunk,
      expensive: risk?.action === 'expensive',
    });
    if (!limit.ok) return refuseWithCdr(limit.status, limit.reason);
    const release = async (): Promise<void> => {
      await limit.lease?.release();
    };

    const incoming = req.headers ?? {};
    const targets = this.cc.carrierTargets(
      e164,
      { From: identity.from, ...identity.headers },
      {
        customerId: trunk.customerId,
        callId: record.id,
        callerSdp: req.body,
        passFrom: (list) => passHeaders(incoming, { passHeaders: list }, policy.leakGuard).headers,
      },
    );
    if (targets.length === 0 || targets.every((t) => t.sdpRejected)) {
      await release();
      if (targets.length > 0) return refuseWithCdr(488, 'sdp_policy');
      return refuseWithCdr(503, 'no_route');
    }
    const usable = targets.filter((t) => !t.sdpRejected);
    const owned =
      decision.action === 'pass' && decision.basis === 'owned'
        ? this.d.numbers.get(decision.e164)
        : undefined;
    await this.cc.run({
      srf,
      sbc,
      req,
      res,
      record,
      numberE164: decision.action === 'pass' ? decision.e164 : e164,
      number: owned,
      targets: usable,
      strategy: 'sequential',
      receivedAt,
      cleanup: release,
    });
  }

  /** The customer trunk of this INVITE, or undefined after answering it (challenge or refusal). */
  async #authenticate(
    req: SrfRequest,
    res: SrfResponse,
    address: string,
    refuse: (status: number, reason: RejectionReason, extra?: Record<string, unknown>) => void,
  ): Promise<Trunk | undefined> {
    const { policy } = this.d;
    const byIp = policy.auth.customerByAddress({
      address,
      port: req.source_port,
      transport: req.protocol || 'udp',
    });
    if (byIp)
      return byIp.status === 'active'
        ? byIp
        : (refuse(403, 'auth_failed', { why: 'trunk disabled' }), undefined);
    const proxyAuth = req.get('proxy-authorization');
    const header = proxyAuth ?? req.get('authorization');
    if (!header) {
      // No credentials: a challenge (only wrong credentials count toward blocking the source).
      const ch = await policy.auth.challenge({ proxy: true, algorithms: ['MD5'] });
      res.send(ch.status, { headers: { [ch.header]: ch.values[0] as string } });
      return undefined;
    }
    // The digest uri is not compared with the Request-URI: common UAs (sipp among them) write the
    // bare host there. The single-use nonce already makes a captured response useless elsewhere.
    const result = await policy.auth.verify({ method: 'INVITE', header, proxy: proxyAuth !== undefined });
    if (result.ok) {
      if (result.trunk.status !== 'active') {
        refuse(403, 'auth_failed', { why: 'trunk disabled' });
        return undefined;
      }
      return result.trunk;
    }
    if (result.status === 401 || result.status === 407) {
      // An unknown or used nonce (a replay): refused, and a fresh challenge for an honest client.
      policy.metrics.rejections.inc({ reason: 'nonce_invalid' });
      const ch = await policy.auth.challenge({ proxy: true, stale: true, algorithms: ['MD5'] });
      this.d.log.info(
        { sipCallId: req.get('call-id'), source: address },
        'digest nonce not valid (replayed or expired)',
      );
      res.send(ch.status, { headers: { [ch.header]: ch.values[0] as string } });
      return undefined;
    }
    if (result.status === 403) await policy.sources.recordFailure(address);
    refuse(result.status, 'auth_failed', { why: result.reason });
    return undefined;
  }
}
