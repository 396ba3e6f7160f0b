// Call control: every INVITE from every SBC comes here. It decides who is calling (a carrier by
// source address → inbound to a DID; anything else → the outbound path for customer trunks), builds
// the targets, runs the B2BUA (bridge.ts), and leaves one CDR and one SIP trace per call in the
// customer's billing region.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Region } from '../config/index.js';
import { DEFAULT_RING_TIMEOUT_SEC, type NumberEntry } from '../accounts/number-settings.js';
import { CDR, SIP_TRACE } from '../records/index.js';
import { Bridge, type Target } from './bridge.js';
import { CallRecord, dispositionOf } from './call-record.js';
import type { ActiveCall } from './calls.js';
import { MEDIA_ANCHOR_SERVICE, type AnchoredMedia, type MediaAnchor } from './media-anchor.js';
import type { Carrier, Gateway } from '../plan/plan.repo.js';
import { voiceSettingsOf } from '../plan/carrier-settings.js';
import { conventionOf } from './routing-decider.js';
import { calledNumberOf, fromE164, toE164, uriUser } from '../routing/normalize.js';
import { forwardingHeaders } from '../routing/header-policy.js';
import { applySdpPolicy, restoreDropped } from '../routing/sdp-policy.js';
import { trunkSettingsOf } from '../accounts/trunk-settings.js';
import { OutboundCalls } from './outbound.js';
import type {
  CallControlDeps,
  CallFlows,
  CallSetup,
  CarrierTarget,
  CarrierTargetOptions,
} from './call-types.js';
import type { SbcConnection } from './sbc/sbc-connection.js';
import type { Srf, SrfRequest, SrfResponse } from './sbc/srf-types.js';
import { pinningFor } from './pinning.js';

const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;

export class CallControl implements CallFlows {
  readonly #writes = new Set<Promise<void>>();
  readonly #log: Logger;
  readonly #outbound: OutboundCalls;
  #stopping = false;

  constructor(private readonly d: CallControlDeps) {
    this.#log = d.log;
    this.#outbound = new OutboundCalls(d, this);
  }

  /** The INVITE handler installed on every SBC's Srf. */
  onInvite(srf: Srf, sbc: SbcConnection, req: SrfRequest, res: SrfResponse): void {
    this.#handle(srf, sbc, req, res).catch((err: unknown) => {
      this.#log.error({ err, sipCallId: req.get('call-id'), sbc: sbc.name }, 'call handling failed');
      if (!res.finalResponseSent) res.send(500);
    });
  }

  /** Stop taking calls (drain): new INVITEs get 503. */
  stopIntake(): void {
    this.#stopping = true;
  }

  /** CDR and trace writes still in flight (shutdown waits for them). */
  async settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
  }

  reject(
    res: SrfResponse,
    status: number,
    reason: string,
    sipCallId: string | undefined,
    extra: Record<string, unknown> = {},
  ): void {
    this.d.metrics.rejections.inc({ reason });
    this.#log.info({ sipCallId, status, reason, ...extra }, 'call refused');
    if (!res.finalResponseSent) res.send(status);
  }

  async #handle(srf: Srf, sbc: SbcConnection, req: SrfRequest, res: SrfResponse): Promise<void> {
    const receivedAt = process.hrtime.bigint();
    const sipCallId = req.get('call-id');
    if (this.#stopping || !sbc.accepting)
      return this.reject(res, 503, 'draining', sipCallId, { sbc: sbc.name });
    const { policy } = this.d;
    if (policy.sources.isScanner(req.get('user-agent'))) {
      policy.metrics.rejections.inc({ reason: 'scanner' });
      return this.reject(res, 403, 'scanner', sipCallId, { source: req.source_address });
    }
    const carrier = policy.recognizer.match({
      address: req.source_address,
      port: req.source_port,
      transport: req.protocol || 'udp',
    });
    if (carrier) return this.#inbound(srf, sbc, req, res, carrier, receivedAt);
    // Not a carrier: a customer trunk (outbound), recognised and authenticated by the trunk guard.
    return this.#outbound.handle(srf, sbc, req, res, receivedAt);
  }

  async #inbound(
    srf: Srf,
    sbc: SbcConnection,
    req: SrfRequest,
    res: SrfResponse,
    known: { carrier: Carrier; gateway: Gateway },
    receivedAt: bigint,
  ): Promise<void> {
    const cfg = this.d.config.calls;
    const sipCallId = req.get('call-id') ?? '';
    const conv = conventionOf(known.carrier);
    const parsed = toE164(calledNumberOf(conv, { requestUri: req.uri, to: req.get('to') }), conv);
    if (!parsed.ok) {
      this.d.policy.metrics.rejections.inc({ reason: 'bad_number' });
      return this.reject(res, cfg.unknownNumberStatus, 'bad-number', sipCallId, {
        carrier: known.carrier.name,
        why: parsed.reason,
      });
    }
    const e164 = parsed.e164;
    const number = this.d.numbers.get(e164);
    if (!number)
      return this.reject(res, cfg.unknownNumberStatus, 'unknown-number', sipCallId, {
        carrier: known.carrier.name,
      });

    const record = new CallRecord('inbound', sbc.name, sbc.region, sipCallId);
    record.customerId = number.customerId;
    record.region = number.region;
    record.called = e164;
    const calling = toE164(uriUser(req.get('from')), conv);
    record.calling = calling.ok ? calling.e164 : null;
    record.route = { carrier: known.carrier.name, gateway: `${known.gateway.host}:${known.gateway.port}` };
    record.originCarrier = known.carrier.name;
    record.traceIn('A', req);
    const refuse = (status: number, reason: string): void => {
      this.reject(res, status, reason, sipCallId, { callId: record.id });
      record.traceOut('A', `SIP/2.0 ${status}`);
      record.end('rejected', status, 'system', reason);
      this.writeRecord(record, 'inbound', known.carrier.name);
    };
    if (number.status === 'suspended') return refuse(cfg.suspendedStatus, 'suspended');
    if (number.status === 'pending_kyc') return refuse(cfg.pendingKycStatus, 'pending-kyc');
    const pin = pinningFor({
      cfg: cfg.pinning,
      mode: this.d.config.voice.pinning,
      plan: this.d.policy.snapshot,
      number,
      at: sbc,
      sbcs: this.d.sbcs(),
    });
    if (!pin.ok && pin.action === 'refuse') return refuse(pin.status, `pinned-${pin.reason}`);
    if (!pin.ok && pin.action === 'redirect') {
      this.d.metrics.rejections.inc({ reason: 'pinning-redirect' });
      res.send(302, { headers: { Contact: `<${pin.contact}>` } });
      record.traceOut('A', 'SIP/2.0 302 Moved Temporarily', { Contact: `<${pin.contact}>` });
      record.end('rejected', 302, 'system', `pinning-redirect-${pin.target}`);
      this.writeRecord(record, 'inbound', known.carrier.name);
      return;
    }

    const targets = this.#inboundTargets(number, record.calling);
    if (targets.length === 0) return refuse(cfg.noDestinationStatus, 'no-destination');
    // SDP policy toward the customer (its trunk's, when it has one), checked once for every target.
    // Toward the customer: the default trunk SDP policy (codec allow-list, SRTP as offered).
    const toCustomer = trunkSettingsOf(undefined);
    const offered = applySdpPolicy(req.body, toCustomer);
    if ('reject' in offered) {
      this.d.policy.metrics.rejections.inc({ reason: 'sdp_policy' });
      return refuse(488, `sdp-${offered.reason}`);
    }
    for (const t of targets) {
      if (t.offer) continue;
      t.offer = (sdp) => {
        const r = sdp === req.body ? offered : applySdpPolicy(sdp, toCustomer);
        return 'reject' in r ? sdp : r.sdp;
      };
      t.answer = (answer) => restoreDropped(req.body, answer, offered.dropped);
    }
    await this.run({
      srf,
      sbc,
      req,
      res,
      record,
      numberE164: number.e164,
      number,
      targets,
      strategy: number.voice.strategy,
      receivedAt,
      carrierLabel: known.carrier.name,
    });
  }

  /** SIP URIs as they are; forwarding numbers out through carriers, with Diversion and History-Info. */
  #inboundTargets(n: NumberEntry, calling: string | null): Target[] {
    const out: Target[] = [];
    const from: Record<string, string> = calling ? { From: `<sip:${calling}@localhost>` } : {};
    for (const dest of n.voice.destinations) {
      const timeoutMs = (dest.timeoutSec ?? DEFAULT_RING_TIMEOUT_SEC) * 1000;
      if (dest.type === 'sip') {
        out.push({ uri: dest.uri, timeoutMs, headers: { ...from } });
        continue;
      }
      // A forwarding number: routed out like a customer call, through the carriers of its route
      // (ring timeout per carrier attempt, failover among them as outbound).
      const fwd = forwardingHeaders({
        originalE164: n.e164,
        targetE164: dest.e164,
        reason: 'unconditional',
        publicHost: this.d.config.calls.publicHost,
      });
      for (const t of this.carrierTargets(dest.e164, { ...from, ...fwd }))
        out.push({ ...t, timeoutMs: Math.min(t.timeoutMs, timeoutMs) });
    }
    return out;
  }

  /**
   * Targets for a call out to a number: the carriers the route table gives (licensed in-country
   * first, tiers, priority, cost; gateways out of service skipped), each with its numbering, SDP
   * policy, timeouts, final codes and limits.
   */
  carrierTargets(
    e164: string,
    headers: Record<string, string>,
    opts: CarrierTargetOptions = {},
  ): CarrierTarget[] {
    const { policy } = this.d;
    const country = toE164(e164, { numberFormat: 'e164', techPrefix: '', calledNumberIn: 'request-uri' });
    const sel = policy.routes.select(e164, {
      country: country.ok ? country.country : undefined,
      isUp: policy.health.isUp,
    });
    const out: CarrierTarget[] = [];
    for (const c of sel.candidates) {
      const voice = voiceSettingsOf(c.carrier.settings);
      const sdp = opts.callerSdp !== undefined ? applySdpPolicy(opts.callerSdp, voice) : undefined;
      const gw = c.gateways[0] as Gateway;
      const user = fromE164(e164, conventionOf(c.carrier));
      const carrierId = c.carrier.id;
      out.push({
        uri: `sip:${user}@${gw.host}:${gw.port}${gw.transport === 'udp' ? '' : `;transport=${gw.transport}`}`,
        carrier: c.carrier.name,
        gateway: `${gw.host}:${gw.port}`,
        gatewayRef: gw,
        timeoutMs: voice.finalTimeoutMs,
        provisionalTimeoutMs: voice.provisionalTimeoutMs,
        finalCodes: voice.finalCodes,
        headers: { ...(opts.passFrom?.(voice.passHeaders) ?? {}), ...headers },
        ...(sdp && 'reject' in sdp ? { sdpRejected: true } : {}),
        offer: (offer) => {
          const r = applySdpPolicy(offer, voice);
          return 'reject' in r ? offer : r.sdp;
        },
        ...(sdp && !('reject' in sdp) && opts.callerSdp !== undefined
          ? { answer: (answer: string) => restoreDropped(opts.callerSdp as string, answer, sdp.dropped) }
          : {}),
        prepare: async () => {
          const r = await policy.limits.acquireCarrier({
            callId: opts.callId ?? randomUUID(),
            carrierId,
            limits: { maxConcurrent: voice.maxConcurrent, maxCps: voice.maxCps },
          });
          if (!r.ok) return { ok: false, status: r.status, reason: r.reason };
          const lease = r.lease;
          return { ok: true, ...(lease ? { release: () => lease.release() } : {}) };
        },
        route: { routeId: c.route.id, prefix: sel.prefix ?? '', licensedFirst: c.licensedFirst },
      });
    }
    return out;
  }

  /** The common part of both directions: media anchor, B2BUA, CDR. */
  async run(s: CallSetup): Promise<void> {
    const { record, req, res } = s;
    const direction = record.direction;
    const m = this.d.metrics;
    m.active.inc({ direction });
    const media = await this.#anchor(s);
    const bridge = new Bridge({
      srf: s.srf,
      req,
      res,
      record,
      log: this.#log.child({ callId: record.id }),
      ...(media ? { media } : {}),
      maxAttempts: this.d.config.calls.maxAttempts,
      onAttempt: (r) => {
        if (r.target.route)
          record.route = { ...r.target.route, carrier: r.target.carrier, gateway: r.target.gateway };
        const gw = r.target.gatewayRef;
        if (
          gw &&
          (r.outcome === 'no-provisional' ||
            (r.outcome === 'no-answer' && !r.attempt.provisionalAt) ||
            (r.outcome === 'status' && (r.status === 408 || r.status >= 500)))
        )
          void this.d.policy.health.recordCallFailure(gw, record.id);
        if (!r.target.carrier) return;
        m.attempts.inc({ carrier: r.target.carrier });
        if (r.dialog) m.answered.inc({ carrier: r.target.carrier });
      },
      onFailover: (t, outcome) => {
        m.failovers.inc({ carrier: t.carrier ?? 'none', outcome });
        this.#log.info({ callId: record.id, target: t.uri, outcome }, 'failing over');
      },
    });
    let bridged: { hangup(reason: string): Promise<void> } | undefined;
    const active: ActiveCall = {
      callId: record.id,
      customerId: record.customerId as string,
      region: record.region as Region,
      direction,
      number: s.numberE164,
      startedAt: record.startedAt,
      ...(media ? { media } : {}),
      hangup: async (reason) => {
        if (bridged) return bridged.hangup(reason);
        record.end('failed', 503, 'system', reason);
        bridge.abort(503);
      },
    };
    this.d.calls.add(active);
    try {
      this.d.policy.metrics.decision.observe({ direction }, ms(s.receivedAt) / 1000);
      const outcome = await bridge.connect(s.targets, s.strategy);
      if (outcome.answered) {
        bridged = outcome.call;
        if (record.pddMs !== null)
          m.pdd.observe(
            { direction, carrier: record.carrier ?? s.carrierLabel ?? 'none' },
            record.pddMs / 1000,
          );
        await outcome.call.ended;
      } else {
        if (record.pddMs !== null)
          m.pdd.observe(
            { direction, carrier: record.carrier ?? s.carrierLabel ?? 'none' },
            record.pddMs / 1000,
          );
        if (outcome.cancelled) {
          record.end('cancelled', 487, 'caller', 'cancelled');
        } else {
          if (!res.finalResponseSent) {
            const headers: Record<string, string> = outcome.reasonHeader
              ? { Reason: outcome.reasonHeader }
              : {};
            res.send(outcome.status, outcome.reason ?? undefined, { headers });
            record.traceOut('A', `SIP/2.0 ${outcome.status} ${outcome.reason ?? ''}`.trim(), headers);
          }
          record.end(
            dispositionOf(outcome.status),
            outcome.status,
            'callee',
            outcome.reason ?? `sip-${outcome.status}`,
          );
        }
      }
    } finally {
      await bridge.release();
      await s
        .cleanup?.()
        .catch((err: unknown) => this.#log.warn({ err, callId: record.id }, 'call cleanup failed'));
      this.d.calls.remove(record.id);
      m.active.dec({ direction });
      if (media) {
        try {
          const r = await media.release();
          record.recording = {
            status: r.status,
            ...(r.reason ? { reason: r.reason } : {}),
            ...(r.recordingId ? { recordingId: r.recordingId } : {}),
          };
        } catch (err) {
          this.#log.error({ err, callId: record.id }, 'media release failed');
          record.recording = { status: 'failed', reason: 'release-failed' };
        }
      }
      const carrier = record.carrier ?? s.carrierLabel ?? 'none';
      if (record.answeredAt && record.endedAt && record.carrier)
        m.duration.inc(
          { carrier: record.carrier },
          (record.endedAt.getTime() - record.answeredAt.getTime()) / 1000,
        );
      this.writeRecord(record, direction, carrier);
    }
  }

  async #anchor(s: CallSetup): Promise<AnchoredMedia | undefined> {
    const settings = s.number?.recording;
    if (!settings?.enabled) return undefined;
    if (!s.number) return undefined;
    const anchor = this.d.lookup<MediaAnchor>(MEDIA_ANCHOR_SERVICE);
    const unrecorded = (reason: string): undefined => {
      s.record.recording = { status: 'unrecorded', reason };
      this.d.metrics.unrecorded.inc({ reason });
      return undefined;
    };
    if (!anchor) return unrecorded('no-media-anchor');
    try {
      const r = await anchor.anchor({
        callId: s.record.id,
        customerId: s.number.customerId,
        region: s.number.region,
        direction: s.record.direction,
        number: s.numberE164,
        settings,
        callerSdp: s.req.body,
        log: this.#log.child({ callId: s.record.id }),
      });
      if ('unrecorded' in r) return unrecorded(r.unrecorded);
      return r;
    } catch (err) {
      this.#log.warn({ err, callId: s.record.id }, 'media anchor failed: call goes on unrecorded');
      return unrecorded('anchor-failed');
    }
  }

  writeRecord(record: CallRecord, direction: string, carrier: string): void {
    const m = this.d.metrics;
    m.calls.inc({ direction, carrier, disposition: record.disposition ?? 'failed' });
    if (!record.customerId) return;
    const log = this.#log;
    const p = Promise.all([
      this.d.records.write(CDR, record.toCdr()).catch((err: unknown) => {
        m.recordsFailed.inc({ kind: 'cdr' });
        log.error({ err, callId: record.id }, 'CDR not written');
      }),
      this.d.records
        .write(SIP_TRACE, record.toTrace(this.d.config.retention.sipTraceDays))
        .catch((err: unknown) => {
          m.recordsFailed.inc({ kind: 'sip_trace' });
          log.error({ err, callId: record.id }, 'SIP trace not written');
        }),
    ]).then(() => undefined);
    this.#writes.add(p);
    void p.finally(() => this.#writes.delete(p));
    log.info(
      {
        callId: record.id,
        sipCallId: record.sipCallId,
        disposition: record.disposition,
        status: record.finalStatus,
      },
      'call ended',
    );
  }
}
