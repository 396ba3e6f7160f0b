// Call limits held across instances through shared state: per-customer concurrent calls and calls per
// second, per-customer spend velocity (calls to expensive destinations per hour), per-carrier
// concurrent calls and calls per second. Concurrency is a lease per call that the holder renews
// while the call lasts: an instance that dies mid-call stops renewing, and its leases lapse after
// leaseTtlMs, so the counters recover without anyone releasing them.
//
// When shared state is unreachable the limits fail open (the call proceeds, the error is counted
// and logged): refusing every call during a Redis outage would be a bigger outage than the risk.
import type { Logger } from 'pino';
import type { SharedState } from '../../state/index.js';
import type { PolicyMetrics, RejectionReason } from './policy-metrics.js';

export interface LimitsConfig {
  customerConcurrent: number;
  customerCps: number;
  expensivePerHour: number;
  rejectCode: 486 | 503;
  leaseTtlMs: number;
}

export interface CustomerLimits {
  maxConcurrent?: number | null | undefined;
  maxCps?: number | null | undefined;
  maxExpensivePerHour?: number | null | undefined;
}

export interface CarrierLimits {
  maxConcurrent?: number | undefined;
  maxCps?: number | undefined;
}

export type LimitRefusal = {
  ok: false;
  status: 486 | 503;
  reason: Extract<
    RejectionReason,
    'customer_concurrency' | 'customer_cps' | 'spend_velocity' | 'carrier_concurrency' | 'carrier_cps'
  >;
};

/** A held concurrency slot; renewed in the background until released. */
export class CallLease {
  #timer: NodeJS.Timeout | undefined;
  #released = false;

  constructor(
    private readonly state: SharedState,
    readonly key: string,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly onError: (err: unknown) => void,
  ) {
    // Renew at a third of the lifetime: two renewals may fail before the lease lapses.
    this.#timer = setInterval(() => void this.renew(), Math.max(250, Math.floor(ttlMs / 3)));
    this.#timer.unref();
  }

  get released(): boolean {
    return this.#released;
  }

  async renew(): Promise<boolean> {
    if (this.#released) return false;
    try {
      return await this.state.renewLease(this.key, this.holder, this.ttlMs);
    } catch (err) {
      this.onError(err);
      return false;
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#timer);
    try {
      await this.state.releaseLease(this.key, this.holder);
    } catch (err) {
      // It will lapse on its own after ttlMs.
      this.onError(err);
    }
  }

  /** Stops renewing without releasing: what a crash does (tests). */
  abandon(): void {
    this.#released = true;
    clearInterval(this.#timer);
  }
}

/** Releases several leases at once (a call holds its customer's and its current carrier's). */
export async function releaseAll(leases: readonly (CallLease | undefined)[]): Promise<void> {
  await Promise.all(leases.map((l) => l?.release()));
}

const KEYS = {
  customerCalls: (id: string) => `voice:calls:customer:${id}`,
  customerCps: (id: string) => `voice:cps:customer:${id}`,
  customerExpensive: (id: string) => `voice:expensive:customer:${id}`,
  carrierCalls: (id: string) => `voice:calls:carrier:${id}`,
  carrierCps: (id: string) => `voice:cps:carrier:${id}`,
};

const HOUR = 3_600_000;

export class CallLimits {
  constructor(
    private readonly deps: {
      state: SharedState;
      config: LimitsConfig;
      metrics: PolicyMetrics;
      log: Logger;
    },
  ) {}

  #failOpen = (err: unknown) => {
    this.deps.metrics.stateErrors.inc({ guard: 'limits' });
    this.deps.log.warn(
      { err: (err as Error).message },
      'call limits: shared state unavailable, failing open',
    );
  };

  #refuse(reason: LimitRefusal['reason'], callId: string, subject: string): LimitRefusal {
    this.deps.metrics.rejections.inc({ reason });
    this.deps.log.info({ callId, reason, subject }, 'call refused by a limit');
    return { ok: false, status: this.deps.config.rejectCode, reason };
  }

  /**
   * At the start of an outbound call: a concurrency slot of the customer, a CPS token, and (for an
   * expensive destination) a place in the hourly spend-velocity budget.
   */
  async acquireCustomer(input: {
    callId: string;
    customerId: string;
    limits?: CustomerLimits | undefined;
    expensive?: boolean;
  }): Promise<{ ok: true; lease: CallLease | undefined } | LimitRefusal> {
    const { state, config } = this.deps;
    const max = input.limits?.maxConcurrent ?? config.customerConcurrent;
    const cps = input.limits?.maxCps ?? config.customerCps;
    const key = KEYS.customerCalls(input.customerId);
    try {
      if (!(await state.acquireLease(key, input.callId, max, config.leaseTtlMs)))
        return this.#refuse('customer_concurrency', input.callId, 'customer');
    } catch (err) {
      this.#failOpen(err);
      return { ok: true, lease: undefined };
    }
    const lease = new CallLease(state, key, input.callId, config.leaseTtlMs, this.#failOpen);
    try {
      const token = await state.takeToken(KEYS.customerCps(input.customerId), {
        ratePerSec: cps,
        burst: Math.max(1, Math.ceil(cps)),
      });
      if (!token.allowed) {
        await lease.release();
        return this.#refuse('customer_cps', input.callId, 'customer');
      }
      if (input.expensive) {
        const budget = input.limits?.maxExpensivePerHour ?? config.expensivePerHour;
        const { count } = await state.incrWindow(KEYS.customerExpensive(input.customerId), HOUR);
        if (count > budget) {
          await lease.release();
          return this.#refuse('spend_velocity', input.callId, 'customer');
        }
      }
    } catch (err) {
      this.#failOpen(err);
    }
    return { ok: true, lease };
  }

  /** Before each attempt on a carrier: a concurrency slot and a CPS token of that carrier. */
  async acquireCarrier(input: {
    callId: string;
    carrierId: string;
    limits?: CarrierLimits | undefined;
  }): Promise<{ ok: true; lease: CallLease | undefined } | LimitRefusal> {
    const { state, config } = this.deps;
    let lease: CallLease | undefined;
    try {
      if (input.limits?.maxConcurrent) {
        const key = KEYS.carrierCalls(input.carrierId);
        if (!(await state.acquireLease(key, input.callId, input.limits.maxConcurrent, config.leaseTtlMs)))
          return this.#refuse('carrier_concurrency', input.callId, 'carrier');
        lease = new CallLease(state, key, input.callId, config.leaseTtlMs, this.#failOpen);
      }
      if (input.limits?.maxCps) {
        const token = await state.takeToken(KEYS.carrierCps(input.carrierId), {
          ratePerSec: input.limits.maxCps,
          burst: Math.max(1, Math.ceil(input.limits.maxCps)),
        });
        if (!token.allowed) {
          await lease?.release();
          return this.#refuse('carrier_cps', input.callId, 'carrier');
        }
      }
    } catch (err) {
      this.#failOpen(err);
    }
    return { ok: true, lease };
  }

  /** Live calls of a customer / carrier (for the API and tests). */
  async activeCalls(kind: 'customer' | 'carrier', id: string): Promise<number> {
    return this.deps.state.countLeases(kind === 'customer' ? KEYS.customerCalls(id) : KEYS.carrierCalls(id));
  }
}
