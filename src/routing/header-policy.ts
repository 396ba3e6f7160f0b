// Topology hiding for a B2BUA leg: which headers of one leg reach the other. Only headers on the
// trunk's pass list cross; headers that carry routing state or addresses (Via, Record-Route, Route,
// Contact...), identify equipment or carriers (Server, User-Agent, Organization...), or are internal
// (X-RC-*) never cross, even when listed; and any value naming an internal address or a carrier is
// dropped. Builders for Diversion / History-Info (forwarding) and P-Asserted-Identity / Privacy
// (caller-ID policy) produce values on the public host name only.

export interface HeaderPolicy {
  /** Header names passed from the other leg (case-insensitive). */
  passHeaders: readonly string[];
}

export interface LeakGuard {
  /** Internal host names and addresses (SBCs, gateways, media servers, the daemon). */
  internalHosts: readonly string[];
  /** Carrier names of the routing plan (never shown to a customer). */
  carrierNames: readonly string[];
  /** Prefix of our own internal headers. */
  internalPrefix?: string;
}

/** Never crosses a leg, whatever the pass list says: the B2BUA builds these for each leg itself. */
export const NEVER_PASS: ReadonlySet<string> = new Set(
  [
    'via',
    'record-route',
    'route',
    'contact',
    'call-id',
    'cseq',
    'from',
    'to',
    'max-forwards',
    'content-length',
    'content-type',
    'authorization',
    'proxy-authorization',
    'www-authenticate',
    'proxy-authenticate',
    'server',
    'user-agent',
    'organization',
    'warning',
    'p-asserted-identity',
    'p-preferred-identity',
    'remote-party-id',
    'privacy',
    'diversion',
    'history-info',
    'path',
    'service-route',
    'p-charging-vector',
    'p-charging-function-addresses',
  ].map((h) => h.toLowerCase()),
);

const PRIVATE_V4 =
  /\b(?:10\.\d{1,3}\.\d{1,3}\.\d{1,3}|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}|169\.254\.\d{1,3}\.\d{1,3})\b/;

/** True when the value names an internal address, host or carrier. */
export function leaks(value: string, guard: LeakGuard): boolean {
  if (PRIVATE_V4.test(value)) return true;
  const v = value.toLowerCase();
  for (const h of guard.internalHosts) if (h && v.includes(h.toLowerCase())) return true;
  for (const n of guard.carrierNames) if (n && v.includes(n.toLowerCase())) return true;
  return false;
}

export interface FilteredHeaders {
  /** Headers to set on the other leg, name as listed in the pass list. */
  headers: Record<string, string>;
  /** Names that were present but not passed, with why (for the SIP trace and tests). */
  removed: { name: string; reason: 'not_listed' | 'never_passed' | 'internal' | 'leak' }[];
}

/** The headers of one leg that may cross to the other. */
export function passHeaders(
  incoming: Readonly<Record<string, string | readonly string[] | undefined>>,
  policy: HeaderPolicy,
  guard: LeakGuard,
): FilteredHeaders {
  const listed = new Map(policy.passHeaders.map((h) => [h.toLowerCase(), h]));
  const internal = (guard.internalPrefix ?? 'X-RC-').toLowerCase();
  const headers: Record<string, string> = {};
  const removed: FilteredHeaders['removed'] = [];
  for (const [name, raw] of Object.entries(incoming)) {
    if (raw === undefined) continue;
    const lower = name.toLowerCase();
    if (NEVER_PASS.has(lower)) removed.push({ name, reason: 'never_passed' });
    else if (lower.startsWith(internal)) removed.push({ name, reason: 'internal' });
    else if (!listed.has(lower)) removed.push({ name, reason: 'not_listed' });
    else {
      const value = Array.isArray(raw) ? raw.join(', ') : (raw as string);
      if (leaks(value, guard)) removed.push({ name, reason: 'leak' });
      else headers[listed.get(lower) as string] = value;
    }
  }
  return { headers, removed };
}

/** A SIP URI on the public host for a number (no internal address). */
export const numberUri = (e164: string, publicHost: string) => `sip:${e164}@${publicHost};user=phone`;

export type DiversionReason = 'unconditional' | 'no-answer' | 'user-busy' | 'unavailable' | 'deflection';

// RFC 7044 cause values per reason (History-Info "cause" URI parameter).
const HI_CAUSE: Record<DiversionReason, number> = {
  unconditional: 302,
  'no-answer': 408,
  'user-busy': 486,
  unavailable: 480,
  deflection: 480,
};

/**
 * Forwarding of a call to a number: Diversion (RFC 5806) and History-Info (RFC 7044) saying the call
 * was for `originalE164` and is now for `targetE164`. Values already present on the incoming leg
 * (previous diversions) are kept in front, counters continued.
 */
export function forwardingHeaders(input: {
  originalE164: string;
  targetE164: string;
  reason: DiversionReason;
  publicHost: string;
  previousDiversion?: string | undefined;
}): { Diversion: string; 'History-Info': string } {
  const original = numberUri(input.originalE164, input.publicHost);
  const target = numberUri(input.targetE164, input.publicHost);
  const diversion = `<${original}>;reason=${input.reason};counter=1;privacy=off`;
  const cause = HI_CAUSE[input.reason];
  return {
    Diversion: input.previousDiversion ? `${input.previousDiversion}, ${diversion}` : diversion,
    'History-Info': `<${original}>;index=1, <${target}?Reason=SIP%3Bcause%3D${cause}>;index=1.1;mp=1`,
  };
}

export interface CallerIdentity {
  /** The From header of the new leg. */
  from: string;
  /** Headers carrying identity and privacy (P-Asserted-Identity, Privacy). */
  headers: Record<string, string>;
}

/**
 * From / P-Asserted-Identity / Privacy for the caller-ID decision: a passed number is asserted (and
 * shown unless the caller asked for privacy); a withheld caller goes out anonymous and nothing about
 * the unverified number is asserted.
 */
export function callerIdentity(
  decision: { action: 'pass'; e164: string; privacy: boolean } | { action: 'withhold' },
  publicHost: string,
): CallerIdentity {
  const anonymous = '"Anonymous" <sip:anonymous@anonymous.invalid>';
  if (decision.action === 'withhold') return { from: anonymous, headers: { Privacy: 'id' } };
  const uri = numberUri(decision.e164, publicHost);
  if (decision.privacy)
    return { from: anonymous, headers: { 'P-Asserted-Identity': `<${uri}>`, Privacy: 'id' } };
  return { from: `<${uri}>`, headers: { 'P-Asserted-Identity': `<${uri}>` } };
}
