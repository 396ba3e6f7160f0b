// What a transaction needs from the rest of the edge: the timer wheel, a way to send, and the
// RFC 3261 timer values (section 17.1.1.1: T1 500 ms, T2 4 s, T4 5 s).
import type { Scheduler } from '../support/timer-wheel.js';
import type { Remote } from '../transport/types.js';

export interface SipTimers {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
}

export const DEFAULT_TIMERS: SipTimers = { t1: 500, t2: 4_000, t4: 5_000 };

export interface TransactionContext {
  readonly wheel: Scheduler;
  readonly timers: SipTimers;
  send(remote: Remote, text: string, onError?: (err: Error) => void): void;
}
