// Logging of rejected input that a flood cannot turn into a disk-filling stream: a token bucket
// allows a burst of lines, then counts what it suppresses and reports the count once lines are
// allowed again.
import type { Logger } from 'pino';

export class RateLimitedLog {
  private tokens: number;
  private last = Date.now();
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly perSecond = 20,
    private readonly burst = 50,
  ) {
    this.tokens = burst;
  }

  info(fields: Record<string, unknown>, message: string): void {
    if (!this.take()) return;
    this.log.info(fields, message);
  }

  warn(fields: Record<string, unknown>, message: string): void {
    if (!this.take()) return;
    this.log.warn(fields, message);
  }

  private take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) {
      this.suppressed += 1;
      return false;
    }
    this.tokens -= 1;
    if (this.suppressed > 0) {
      this.log.warn({ suppressed: this.suppressed }, 'rejection log lines suppressed by rate limit');
      this.suppressed = 0;
    }
    return true;
  }
}
