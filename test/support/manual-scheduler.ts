// A timer source the test advances by hand, so that state machines with timers can be tested
// for what they do at each deadline without waiting for any.
import type { Scheduler, Timer } from '../../src/edge/support/timer-wheel.js';

export class ManualScheduler implements Scheduler {
  now = 0;
  private entries: { at: number; fn: () => void; live: boolean }[] = [];

  schedule(delayMs: number, fn: () => void): Timer {
    const entry = { at: this.now + delayMs, fn, live: true };
    this.entries.push(entry);
    return {
      cancel: () => {
        entry.live = false;
      },
    };
  }

  /** Moves time forward, firing due timers in deadline order (timers they schedule included). */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.entries.filter((e) => e.live && e.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.now = due.at;
      due.fn();
    }
    this.now = end;
    this.entries = this.entries.filter((e) => e.live);
  }

  get pending(): number {
    return this.entries.filter((e) => e.live).length;
  }
}
