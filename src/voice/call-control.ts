// Call control: every INVITE from every SBC comes here. It decides who is calling (a carrier by
// source address → inbound to a DID; anything else → the outbound path for customer trunks), builds
// the targets, runs the B2BUA (bridge.ts), and leaves one CDR and one SIP trace per call in the
// customer's billing region.
import type { Logger } from 'pino';
import type { Config, Region } from '../config/index.js';
import type { NumberCache } from '../cache/number-cache.js';
import { DEFAULT_RING_TIMEOUT_SEC, type NumberEntry } from '../accounts/number-settings.js';
import { CDR, SIP_TRACE, type RecordsWriter } from '../records/index.js';
import { Bridge, type Target } from './bridge.js';
import { CallRecord, dispositionOf } from './call-record.js';
import type { ActiveCall, ActiveCalls } from './calls.js';
import type { CarrierDirectory, KnownCarrier } from './carriers.js';
import { formatForCarrier, gatewayUri, type CarrierRouter } from './carrier-routes.js';
import { MEDIA_ANCHOR_SERVICE, type AnchoredMedia, type MediaAnchor } from './media-anchor.js';
import { normaliseCalledNumber, normaliseCallingNumber, userOf } from './numbers.js';
import type { SbcConnection } from './sbc/sbc-connection.js';
import type { Srf, SrfRequest, SrfResponse } from './sbc/srf-types.js';
import type { VoiceMetrics } from './voice-metrics.js';
import { pinningDecision } from './pinning.js';

export interface CallControlDeps {
  config: Config;
  log: Logger;
  metrics: VoiceMetrics;
  numbers: NumberCache;
  carriers: CarrierDirectory;
  router: CarrierRouter;
  records: RecordsWriter;
  calls: ActiveCalls;
  sbcs: () => SbcConnection[];
  lookup<T>(name: string): T | undefined;
}

/** A call that has a customer: what the common part of the flow needs. */
export interface CallSetup {
  srf: Srf;
  sbc: SbcConnection;
  req: SrfRequest;
  res: SrfResponse;
  record: CallRecord;
  /** The customer's number whose settings decide recording. */
  number: NumberEntry;
  targets: Target[];
  strategy: 'sequential' | 'simultaneous';
  receivedAt: bigint;
  /** Carrier label for metrics of the call (inbound: the carrier it came from). */
  carrierLabel?: string;
}

const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;

export class CallControl {
  readonly #writes = new Set<Promise<void>>();
  readonly #log: Logger;
  #stopping = false;

  constructor(private readonly d: CallControlDeps) {
    this.#log = d.log;
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
    const carrier = this.d.carriers.recognise(req.source_address, req.source_port, req.protocol ?? 'udp');
    if (carrier) return this.#inbound(srf, sbc, req, res, carrier, receivedAt);
    // Not a carrier: a customer trunk (outbound), recognised and authenticated by the trunk guard.
    return this.reject(res, 403, 'unknown-source', sipCallId, { source: req.source_address });
  }

  async #inbound(
    srf: Srf,
    sbc: SbcConnection,
    req: SrfRequest,
    res: SrfResponse,
    known: KnownCarrier,
    receivedAt: bigint,
  ): Promise<void> {
    const cfg = this.d.config.calls;
    const sipCallId = req.get('call-id') ?? '';
    const raw = known.voice.calledNumberIn === 'to' ? userOf(req.get('to') ?? '') : userOf(req.uri);
    const e164 = normaliseCalledNumber(raw, known.voice, known.carrier.countries[0]);
    if (!e164)
      return this.reject(res, cfg.unknownNumberStatus, 'bad-number', sipCallId, {
        carrier: known.carrier.name,
      });
    const number = this.d.numbers.get(e164);
    if (!number)
      return this.reject(res, cfg.unknownNumberStatus, 'unknown-number', sipCallId, {
        carrier: known.carrier.name,
      });

    const record = new CallRecord('inbound', sbc.name, sbc.region, sipCallId);
    record.customerId = number.customerId;
    record.region = number.region;
    record.called = e164;
    record.calling = normaliseCallingNumber(userOf(req.get('from') ?? ''));
    record.route = { carrier: known.carrier.name, gateway: `${known.gateway.host}:${known.gateway.port}` };
    record.originCarrier = known.carrier.name;
    record.traceIn('A', req);
    const refuse = (status: number, reason: string): void => {
      this.reject(res, status, reason, sipCallId, { callId: record.id });
      record.traceOut('A', `SIP/2.0 ${status}`);
      record.end('rejected', status, 'system', reason);
      this.#write(record, 'inbound', known.carrier.name);
    };
    if (number.status === 'suspended') return refuse(cfg.suspendedStatus, 'suspended');
    if (number.status === 'pending_kyc') return refuse(cfg.pendingKycStatus, 'pending-kyc');
    const pin = pinningDecision(cfg.pinning, number, sbc, this.d.sbcs());
    if (pin.action === 'refuse') return refuse(cfg.pinning.refuseStatus, pin.reason);
    if (pin.action === 'redirect') {
      this.d.metrics.rejections.inc({ reason: 'pinning-redirect' });
      res.send(302, { headers: { Contact: `<sip:${e164}@${pin.target}>` } });
      record.traceOut('A', 'SIP/2.0 302 Moved Temporarily', { Contact: `<sip:${e164}@${pin.target}>` });
      record.end('rejected', 302, 'system', pin.reason);
      this.#write(record, 'inbound', known.carrier.name);
      return;
    }

    const targets = this.#inboundTargets(number, record.calling);
    if (targets.length === 0) return refuse(cfg.noDestinationStatus, 'no-destination');
    await this.run({
      srf,
      sbc,
      req,
      res,
      record,
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
      // A forwarding number: routed out like a customer call, the first carrier that the route
      // table gives (failover among carriers within the ring timeout is the outbound path's).
      for (const choice of this.d.router.select(dest.e164)) {
        const gw = choice.gateways[0];
        if (!gw) continue;
        out.push({
          uri: gatewayUri(formatForCarrier(dest.e164, choice.voice), gw),
          carrier: choice.carrier.name,
          gateway: `${gw.host}:${gw.port}`,
          timeoutMs,
          provisionalTimeoutMs: choice.voice.provisionalTimeoutMs,
          finalCodes: choice.voice.finalCodes,
          headers: {
            ...from,
            Diversion: `<sip:${n.e164}@localhost>;reason=unconditional;counter=1`,
            'History-Info': `<sip:${n.e164}@localhost>;index=1,<sip:${dest.e164}@localhost;cause=302>;index=1.1`,
          },
        });
      }
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
      number: s.number.e164,
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
      m.decision.observe({ direction }, ms(s.receivedAt) / 1000);
      const outcome = await bridge.connect(s.targets, s.strategy);
      if (outcome.answered) {
        bridged = outcome.call;
        if (record.pddMs !== null) m.pdd.observe({ direction }, record.pddMs / 1000);
        await outcome.call.ended;
      } else {
        if (record.pddMs !== null) m.pdd.observe({ direction }, record.pddMs / 1000);
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
      this.#write(record, direction, carrier);
    }
  }

  async #anchor(s: CallSetup): Promise<AnchoredMedia | undefined> {
    const settings = s.number.recording;
    if (!settings.enabled) return undefined;
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
        number: s.number.e164,
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

  #write(record: CallRecord, direction: string, carrier: string): void {
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
