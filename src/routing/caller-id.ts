// Caller-ID policy of an outbound call: the customer may present a number it owns (one of its DIDs)
// or one it has verified; anything else is withheld (sent anonymous) or refused, per trunk.
// Privacy requested by the caller (Privacy: id, or an anonymous From with an identity in P-Asserted-
// Identity / P-Preferred-Identity) is honoured for a number that passes.

export type CallerIdDecision =
  | { action: 'pass'; e164: string; privacy: boolean; basis: 'owned' | 'verified' }
  | { action: 'withhold'; reason: 'not_owned' | 'invalid' | 'missing'; privacy: boolean }
  | { action: 'reject'; status: 403; reason: 'not_owned' | 'invalid' | 'missing' };

export interface CallerIdInput {
  customerId: string;
  /** The claimed number in E.164 (already normalised), or undefined when absent or not a number. */
  claimed: string | undefined;
  /** Why `claimed` is undefined: no number given at all, or not a valid number. */
  claimedProblem?: 'missing' | 'invalid';
  /** Customer owning a DID (the number cache). */
  ownerOf: (e164: string) => string | undefined;
  /** Numbers the customer has verified. */
  isVerified: (customerId: string, e164: string) => boolean;
  policy: 'withhold' | 'reject';
  privacyRequested: boolean;
}

export function decideCallerId(input: CallerIdInput): CallerIdDecision {
  const { claimed, customerId } = input;
  if (claimed) {
    if (input.ownerOf(claimed) === customerId)
      return { action: 'pass', e164: claimed, privacy: input.privacyRequested, basis: 'owned' };
    if (input.isVerified(customerId, claimed))
      return { action: 'pass', e164: claimed, privacy: input.privacyRequested, basis: 'verified' };
  }
  const reason = claimed ? 'not_owned' : (input.claimedProblem ?? 'missing');
  // A caller who asked for anonymity is withheld anyway: refusing would punish the private caller.
  if (input.policy === 'reject' && !(reason === 'missing' && input.privacyRequested))
    return { action: 'reject', status: 403, reason };
  return { action: 'withhold', reason, privacy: true };
}

/** Whether the caller asked for privacy (RFC 3323 Privacy header, or an anonymous From). */
export function privacyRequested(headers: {
  privacy?: string | undefined;
  from?: string | undefined;
}): boolean {
  const p = (headers.privacy ?? '').toLowerCase();
  if (/\b(id|user|header)\b/.test(p)) return true;
  return /anonymous@/i.test(headers.from ?? '');
}
