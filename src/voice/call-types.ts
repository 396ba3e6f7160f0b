// Types shared by the call flows (call-control.ts, outbound.ts): their dependencies, what a call
// needs to run, and what the outbound path uses of call control.
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { NumberCache } from '../cache/number-cache.js';
import type { NumberEntry } from '../accounts/number-settings.js';
import type { RecordsWriter } from '../records/index.js';
import type { Target } from './bridge.js';
import type { CallRecord } from './call-record.js';
import type { ActiveCalls } from './calls.js';
import type { VoicePolicy } from './policy.js';
import type { SbcConnection } from './sbc/sbc-connection.js';
import type { Srf, SrfRequest, SrfResponse } from './sbc/srf-types.js';
import type { VoiceMetrics } from './voice-metrics.js';

export interface CallControlDeps {
  config: Config;
  log: Logger;
  metrics: VoiceMetrics;
  numbers: NumberCache;
  policy: VoicePolicy;
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
  /** The customer's number (called inbound, calling outbound), E.164. */
  numberE164: string;
  /** Its entry when it is one of ours: its recording settings decide. */
  number?: NumberEntry | undefined;
  /** Runs when the call is over (limit leases). */
  cleanup?: () => Promise<void>;
  targets: Target[];
  strategy: 'sequential' | 'simultaneous';
  receivedAt: bigint;
  /** Carrier label for metrics of the call (inbound: the carrier it came from). */
  carrierLabel?: string;
}

export type CarrierTarget = Target & { sdpRejected?: boolean };

export interface CarrierTargetOptions {
  customerId?: string;
  callId?: string;
  callerSdp?: string;
  /** Headers of the A leg that cross to this carrier (its pass list). */
  passFrom?: (list: readonly string[]) => Record<string, string>;
}

/** What the outbound path uses of call control. */
export interface CallFlows {
  reject(
    res: SrfResponse,
    status: number,
    reason: string,
    sipCallId: string | undefined,
    extra?: Record<string, unknown>,
  ): void;
  writeRecord(record: CallRecord, direction: string, carrier: string): void;
  carrierTargets(e164: string, headers: Record<string, string>, opts?: CarrierTargetOptions): CarrierTarget[];
  run(s: CallSetup): Promise<void>;
}
