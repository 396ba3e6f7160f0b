// Toll-free origination and in-country pinning: a call for a pinned number must be handled by an SBC
// in the number's country (calls.pinning.countries) or, for toll-free numbers, in the owner's region.
// A call that reached another colocation is refused or redirected (302) to one that may take it.
import type { NumberEntry } from '../accounts/number-settings.js';
import type { CallsConfig } from '../config/index.js';
import type { SbcInfo } from './sbc/sbc-connection.js';

export type PinningDecision =
  | { action: 'accept' }
  | { action: 'refuse'; reason: string }
  | { action: 'redirect'; reason: string; target: string };

// NANP toll-free area codes, and the international (UIFN) and common national toll-free forms.
const TOLL_FREE = [
  /^\+18(00|33|44|55|66|77|88)/,
  /^\+800/,
  /^\+44800/,
  /^\+44808/,
  /^\+49800/,
  /^\+33800/,
  /^\+61180/,
];

export function isTollFree(e164: string): boolean {
  return TOLL_FREE.some((re) => re.test(e164));
}

export function pinningDecision(
  cfg: CallsConfig['pinning'],
  number: Pick<NumberEntry, 'e164' | 'country' | 'region'>,
  sbc: SbcInfo,
  all: readonly SbcInfo[],
): PinningDecision {
  if (cfg.mode === 'off') return { action: 'accept' };
  let allowed: ((s: SbcInfo) => boolean) | undefined;
  let reason = '';
  if (cfg.countries.includes(number.country)) {
    allowed = (s) => s.country === number.country;
    reason = 'pinned-country';
  } else if (cfg.tollFreeInRegion && isTollFree(number.e164)) {
    allowed = (s) => s.region === number.region;
    reason = 'toll-free-region';
  }
  if (!allowed || allowed(sbc)) return { action: 'accept' };
  if (cfg.mode === 'redirect') {
    for (const s of all) {
      const target = cfg.redirectTargets[s.colocation];
      if (allowed(s) && target) return { action: 'redirect', reason, target };
    }
  }
  return { action: 'refuse', reason };
}
