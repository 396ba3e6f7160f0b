// Toll-free origination and in-country pinning at call time: the plan pins a country's numbers to
// SBCs of that country or region (voice_countries.pin; src/routing/pinning.ts decides), and toll-free
// numbers may be pinned to SBCs of the owner's region (calls.pinning.tollFreeInRegion). A call that
// reached another colocation is refused or redirected (voice.pinning).
import type { NumberEntry } from '../accounts/number-settings.js';
import type { CallsConfig } from '../config/index.js';
import type { PlanSnapshot } from '../plan/plan-cache.js';
import { pinningDecision as decide, type PinningDecision, type SbcPlace } from '../routing/pinning.js';
import type { SbcInfo } from './sbc/sbc-connection.js';

// NANP toll-free area codes, UIFN, and common national toll-free ranges.
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

export function pinningFor(input: {
  cfg: CallsConfig['pinning'];
  mode: 'refuse' | 'redirect';
  plan: PlanSnapshot;
  number: Pick<NumberEntry, 'e164' | 'country' | 'region'>;
  at: SbcInfo;
  sbcs: readonly SbcInfo[];
}): PinningDecision {
  const { cfg, number } = input;
  let pin = input.plan.countries.get(number.country)?.pin;
  if ((!pin || pin === 'none') && cfg.tollFreeInRegion && isTollFree(number.e164)) pin = 'region';
  const place = (s: SbcInfo): SbcPlace => ({
    name: s.name,
    country: s.country,
    region: s.region,
    sipUri: cfg.sipUris[s.name],
  });
  return decide({
    numberCountry: number.country,
    numberRegion: number.region,
    pin,
    at: place(input.at),
    sbcs: input.sbcs.map(place),
    mode: input.mode,
  });
}
