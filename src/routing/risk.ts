// The destination risk list: premium-rate and high-risk prefixes. A 'block' entry refuses the call; an
// 'expensive' entry lets it through but counts it toward the customer's spend-velocity limit.
import { PrefixIndex } from './prefix-index.js';

export type RiskReason = 'premium_rate' | 'high_risk';

export interface RiskEntry {
  prefix: string;
  reason: RiskReason;
  action: 'block' | 'expensive';
}

export type RiskHit = RiskEntry;

export class RiskList {
  readonly #index: PrefixIndex<RiskEntry>;

  constructor(entries: readonly RiskEntry[]) {
    this.#index = new PrefixIndex(entries.map((e) => [e.prefix, e] as const));
  }

  /** The longest risk entry matching the destination ('+' optional), or undefined. */
  check(e164: string): RiskHit | undefined {
    const digits = e164.startsWith('+') ? e164.slice(1) : e164;
    return this.#index.match(digits)?.value;
  }
}
