// Sources that misbehave: scanner user-agents are refused at once; repeated authentication failures
// from one source address block it for a while, on every instance (a window counter and a block key
// in shared state). Blocks fail open when shared state is unreachable (counted and logged).
import type { Logger } from 'pino';
import type { SharedState } from '../../state/index.js';
import { canonicalAddress } from '../../cache/trunk-directory.js';
import type { PolicyMetrics } from './policy-metrics.js';

export interface SourceBlockConfig {
  failures: number;
  windowMs: number;
  blockMs: number;
}

const FAILS = (a: string) => `voice:authfail:${a}`;
const BLOCK = (a: string) => `voice:block:${a}`;

export class SourceGuard {
  readonly #scanners: string[];

  constructor(
    private readonly deps: {
      state: SharedState;
      config: SourceBlockConfig;
      scannerUserAgents: readonly string[];
      metrics: PolicyMetrics;
      log: Logger;
    },
  ) {
    this.#scanners = deps.scannerUserAgents.map((s) => s.toLowerCase());
  }

  /** A known scanner's User-Agent (case-insensitive substring). */
  isScanner(userAgent: string | undefined): boolean {
    if (!userAgent) return false;
    const ua = userAgent.toLowerCase();
    return this.#scanners.some((s) => ua.includes(s));
  }

  /** Whether the address is blocked now, and for how long. */
  async blocked(address: string): Promise<{ blocked: boolean; untilMs?: number }> {
    try {
      const until = await this.deps.state.get(BLOCK(canonicalAddress(address)));
      return until ? { blocked: true, untilMs: Number(until) } : { blocked: false };
    } catch (err) {
      this.#stateError(err);
      return { blocked: false };
    }
  }

  /** Counts an authentication failure; the one reaching the threshold blocks the address. */
  async recordFailure(address: string, callId?: string): Promise<{ blocked: boolean; failures: number }> {
    const a = canonicalAddress(address);
    const { state, config } = this.deps;
    try {
      const { count } = await state.incrWindow(FAILS(a), config.windowMs);
      if (count >= config.failures) {
        const until = Date.now() + config.blockMs;
        if (await state.setIfAbsent(BLOCK(a), String(until), config.blockMs))
          this.deps.log.warn(
            { source: a, failures: count, blockMs: config.blockMs, callId },
            'source address blocked after repeated authentication failures',
          );
        return { blocked: true, failures: count };
      }
      return { blocked: false, failures: count };
    } catch (err) {
      this.#stateError(err);
      return { blocked: false, failures: 0 };
    }
  }

  /** Lifts a block (operator action, tests). */
  async unblock(address: string): Promise<void> {
    const a = canonicalAddress(address);
    await this.deps.state.del(BLOCK(a), FAILS(a));
  }

  #stateError(err: unknown): void {
    this.deps.metrics.stateErrors.inc({ guard: 'source_block' });
    this.deps.log.warn(
      { err: (err as Error).message },
      'source block: shared state unavailable, failing open',
    );
  }
}
