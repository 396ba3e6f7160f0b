// One timer source for every SIP timer (A to K, 2xx retransmission, guards). Thousands of
// transactions each holding several setTimeout handles cost more in timer-list churn than the
// work they schedule; a coarse wheel keyed by tick number costs one interval while anything is
// pending and O(1) per schedule and cancel. A cancelled timer leaves its bucket at once: guards
// of several minutes are cancelled by nearly every call, and a cancelled entry left in place
// would keep its callback, and the transaction the callback holds, alive until the deadline.

export interface Timer {
  /** Stops the timer; calling it after the timer fired or was cancelled does nothing. */
  cancel(): void;
}

/** What the SIP layers need of a timer source; tests substitute a manual one. */
export interface Scheduler {
  schedule(delayMs: number, fn: () => void): Timer;
}

/** A scheduled callback; a class so that each timer costs one small object and no closure. */
class Entry implements Timer {
  constructor(
    public fn: (() => void) | undefined,
    readonly tick: number,
    private readonly wheel: TimerWheel,
  ) {}

  cancel(): void {
    if (!this.fn) return;
    this.fn = undefined;
    this.wheel.remove(this);
  }
}

export class TimerWheel implements Scheduler {
  private readonly buckets = new Map<number, Set<Entry>>();
  private interval: NodeJS.Timeout | undefined;
  private lastTick: number;
  private pending = 0;
  private deferred = false;
  private readonly origin = performance.now();

  constructor(
    private readonly tickMs = 10,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.lastTick = this.currentTick();
  }

  /** Number of timers scheduled and not yet fired or cancelled. */
  get size(): number {
    return this.pending;
  }

  schedule(delayMs: number, fn: () => void): Timer {
    const due = Math.max(
      this.currentTick() + 1,
      Math.ceil((performance.now() - this.origin + delayMs) / this.tickMs),
    );
    const entry = new Entry(fn, due, this);
    let bucket = this.buckets.get(due);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(due, bucket);
    }
    bucket.add(entry);
    this.pending += 1;
    if (!this.interval) this.start();
    return entry;
  }

  /** Called by a cancelled entry (its bucket may already be out of the map, being fired). */
  remove(entry: Entry): void {
    this.pending -= 1;
    const bucket = this.buckets.get(entry.tick);
    if (!bucket) return;
    bucket.delete(entry);
    if (bucket.size === 0) this.buckets.delete(entry.tick);
  }

  close(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
    for (const bucket of this.buckets.values()) for (const e of bucket) e.fn = undefined;
    this.buckets.clear();
    this.pending = 0;
  }

  private currentTick(): number {
    return Math.floor((performance.now() - this.origin) / this.tickMs);
  }

  private start(): void {
    this.lastTick = this.currentTick();
    // Timers are fired from setImmediate, after the poll phase: when the process was starved and
    // wakes late, the responses already waiting in the socket buffers are read before Timers A
    // and E would retransmit requests those responses answer.
    this.interval = setInterval(() => {
      if (this.deferred) return;
      this.deferred = true;
      setImmediate(() => {
        this.deferred = false;
        this.advance();
      });
    }, this.tickMs);
    // The sockets keep the process alive; pending SIP timers alone should not.
    this.interval.unref();
  }

  private advance(): void {
    const now = this.currentTick();
    // Walk every tick since the last run: under load the interval fires late, never early.
    for (let tick = this.lastTick + 1; tick <= now; tick++) {
      const bucket = this.buckets.get(tick);
      if (!bucket) continue;
      this.buckets.delete(tick);
      for (const entry of bucket) {
        const fn = entry.fn;
        if (!fn) continue;
        entry.fn = undefined;
        this.pending -= 1;
        try {
          fn();
        } catch (err) {
          this.onError(err);
        }
      }
    }
    this.lastTick = now;
    if (this.pending === 0 && this.interval) {
      clearInterval(this.interval);
      this.interval = undefined;
    }
  }
}
