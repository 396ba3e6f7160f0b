// In-region / in-country pinning: where the plan pins a number's country (voice_countries.pin), its
// calls must be handled by an SBC in that country (pin 'country') or in the number's region (pin
// 'region'). A call arriving elsewhere is refused or redirected to a pinned SBC, per configuration.

export interface SbcPlace {
  name: string;
  country: string;
  region: string;
  /** SIP URI to redirect callers to (Contact of a 302); an SBC without one cannot be a target. */
  sipUri?: string | undefined;
}

export type PinningDecision =
  | { ok: true }
  | { ok: false; action: 'refuse'; status: 403; reason: 'wrong_colocation' }
  | { ok: false; action: 'redirect'; status: 302; contact: string; target: string };

export function pinningDecision(input: {
  /** Country and region of the number the call is for (the DID inbound, the caller ID outbound). */
  numberCountry: string;
  numberRegion: string;
  pin: 'none' | 'country' | 'region' | undefined;
  /** The SBC the call arrived at. */
  at: SbcPlace;
  /** Every SBC the deployment knows (redirect targets). */
  sbcs: readonly SbcPlace[];
  mode: 'refuse' | 'redirect';
}): PinningDecision {
  const fits = (s: SbcPlace) =>
    input.pin === 'country'
      ? s.country === input.numberCountry
      : input.pin === 'region'
        ? s.region === input.numberRegion
        : true;
  if (!input.pin || input.pin === 'none' || fits(input.at)) return { ok: true };
  if (input.mode === 'redirect') {
    const target = input.sbcs.find((s) => s.name !== input.at.name && fits(s) && s.sipUri);
    if (target?.sipUri)
      return { ok: false, action: 'redirect', status: 302, contact: target.sipUri, target: target.name };
  }
  // Refused when configured so, and when no pinned SBC can take the call.
  return { ok: false, action: 'refuse', status: 403, reason: 'wrong_colocation' };
}
