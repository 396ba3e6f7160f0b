// Who is calling. A carrier trunk is recognised by the source address of the INVITE (plus port and
// transport where the gateway says so); a customer trunk by its IP allow-list or by SIP digest
// (RFC 2617 / RFC 7616, MD5 and SHA-256, qop=auth or none). Nonces are issued with an expiry and are
// single use: each one is a shared-state key consumed by the verification (GETDEL), so a replay on
// any instance finds nothing. A wrong password after a challenge is 403, and counts as an
// authentication failure of the source address (source-block.ts).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import type { SharedState } from '../../state/index.js';
import type { Envelope } from '../../crypto/index.js';
import type { Carrier, Gateway } from '../../plan/plan.repo.js';
import type { PlanSnapshot } from '../../plan/plan-cache.js';
import type { Trunk } from '../../accounts/trunks.repo.js';
import { digestHash, openHa1, type DigestAlgorithm } from '../../accounts/sip-credentials.js';
import { canonicalAddress, type TrunkDirectory } from '../../cache/trunk-directory.js';
import type { PolicyMetrics } from './policy-metrics.js';

export interface SipSource {
  address: string;
  port: number;
  transport: string;
}

// --- carriers ------------------------------------------------------------------------------------

interface GatewayMatcher {
  carrier: Carrier;
  gateway: Gateway;
  exact?: string;
  range?: BlockList;
  family: 'ipv4' | 'ipv6';
}

/** Recognises carrier gateways by source; rebuilt from each plan snapshot. */
export class CarrierRecognizer {
  readonly #exact = new Map<string, GatewayMatcher[]>();
  readonly #ranges: GatewayMatcher[] = [];

  constructor(plan: Pick<PlanSnapshot, 'carriers' | 'gateways'>) {
    for (const gateway of plan.gateways) {
      if (gateway.direction === 'outbound') continue;
      const carrier = plan.carriers.get(gateway.carrierId);
      if (!carrier || carrier.status !== 'active') continue;
      const [ip, bits] = gateway.host.split('/');
      const fam = isIP(ip ?? '');
      // Host names cannot be matched against a source address without DNS: only addresses and CIDRs.
      if (!fam || !ip) continue;
      const family = fam === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined || Number(bits) === (fam === 6 ? 128 : 32)) {
        const key = canonicalAddress(ip);
        this.#exact.set(key, [...(this.#exact.get(key) ?? []), { carrier, gateway, exact: key, family }]);
      } else {
        const range = new BlockList();
        range.addSubnet(ip, Number(bits), family);
        this.#ranges.push({ carrier, gateway, range, family });
      }
    }
  }

  match(src: SipSource): { carrier: Carrier; gateway: Gateway } | undefined {
    const a = canonicalAddress(src.address);
    const fits = (m: GatewayMatcher) =>
      (!m.gateway.matchPort || m.gateway.port === src.port) &&
      (!m.gateway.matchTransport || m.gateway.transport === src.transport.toLowerCase());
    const exact = this.#exact.get(a)?.find(fits);
    if (exact) return { carrier: exact.carrier, gateway: exact.gateway };
    const family = isIP(a) === 6 ? 'ipv6' : 'ipv4';
    const ranged = this.#ranges.find((m) => m.family === family && m.range?.check(a, family) && fits(m));
    return ranged ? { carrier: ranged.carrier, gateway: ranged.gateway } : undefined;
  }
}

// --- digest --------------------------------------------------------------------------------------

export interface DigestChallenge {
  status: 401 | 407;
  header: 'WWW-Authenticate' | 'Proxy-Authenticate';
  /** One value per algorithm, SHA-256 first (RFC 8760): send each as its own header line. */
  values: string[];
}

export type DigestFailure =
  | 'malformed'
  | 'wrong_realm'
  | 'unknown_user'
  | 'nonce_invalid'
  | 'uri_mismatch'
  | 'bad_response'
  | 'state_unavailable';

export type DigestResult =
  | { ok: true; trunk: Trunk; username: string }
  /**
   * status: 401/407 means challenge again (unknown or used nonce: the client may retry with a fresh
   * one); 403 means refused (wrong credentials after a challenge); 503 when the nonce store is down.
   */
  | { ok: false; status: 401 | 403 | 407 | 503; reason: DigestFailure };

/** Parses `Digest k=v, k="v"` (quoted strings may hold commas). */
export function parseDigest(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m || !m[1]) return undefined;
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/g;
  let part: RegExpExecArray | null;
  while ((part = re.exec(m[1])) !== null) {
    out[(part[1] as string).toLowerCase()] =
      part[2] !== undefined ? part[2].replace(/\\(.)/g, '$1') : (part[3] ?? '');
  }
  return Object.keys(out).length ? out : undefined;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface TrunkAuthDeps {
  state: SharedState;
  trunks: TrunkDirectory;
  envelope: Envelope;
  realm: string;
  nonceTtlMs: number;
  metrics: PolicyMetrics;
  log: Logger;
}

const NONCE_KEY = (nonce: string) => `voice:nonce:${nonce}`;

export class TrunkAuth {
  constructor(private readonly deps: TrunkAuthDeps) {}

  /** Customer trunks allowing the source address (IP authentication). */
  customerByAddress(src: SipSource): Trunk | undefined {
    return this.deps.trunks.byAddress(src.address)[0];
  }

  /** A fresh challenge; its nonce is valid once, on any instance, for nonceTtlMs. */
  async challenge(
    opts: { proxy?: boolean; stale?: boolean; algorithms?: readonly DigestAlgorithm[] } = {},
  ): Promise<DigestChallenge> {
    const nonce = randomBytes(16).toString('hex');
    await this.deps.state.set(NONCE_KEY(nonce), '1', this.deps.nonceTtlMs);
    const stale = opts.stale ? ', stale=true' : '';
    const base = `realm="${this.deps.realm}", nonce="${nonce}", qop="auth"${stale}`;
    return {
      status: opts.proxy ? 407 : 401,
      header: opts.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate',
      values: (opts.algorithms ?? ['SHA-256', 'MD5']).map((a) => `Digest ${base}, algorithm=${a}`),
    };
  }

  /**
   * Verifies an Authorization / Proxy-Authorization header against the trunk of its username. The
   * nonce is consumed first, whatever the outcome: a captured request cannot be replayed, and a
   * guess costs a new challenge.
   */
  async verify(input: {
    method: string;
    header: string;
    /** Request-URI of the request; when given, the digest uri must equal it. */
    requestUri?: string;
    proxy?: boolean;
  }): Promise<DigestResult> {
    const challengeStatus = input.proxy ? 407 : 401;
    const d = parseDigest(input.header);
    if (!d || !d.username || !d.nonce || !d.response || !d.uri)
      return { ok: false, status: 403, reason: 'malformed' };
    let fresh: string | null;
    try {
      fresh = await this.deps.state.getDel(NONCE_KEY(d.nonce));
    } catch (err) {
      this.deps.metrics.stateErrors.inc({ guard: 'digest' });
      this.deps.log.warn({ err: (err as Error).message }, 'digest nonce store unavailable: refusing (503)');
      return { ok: false, status: 503, reason: 'state_unavailable' };
    }
    if (!fresh) return { ok: false, status: challengeStatus, reason: 'nonce_invalid' };
    if (d.realm !== this.deps.realm) return { ok: false, status: 403, reason: 'wrong_realm' };
    const trunk = this.deps.trunks.byUsername(d.username);
    if (!trunk || !trunk.digestHa1Enc || trunk.digestRealm !== this.deps.realm)
      return { ok: false, status: 403, reason: 'unknown_user' };
    if (input.requestUri !== undefined && d.uri !== input.requestUri)
      return { ok: false, status: 403, reason: 'uri_mismatch' };
    const algo = (d.algorithm ?? 'MD5').toUpperCase();
    const sess = algo.endsWith('-SESS');
    const algorithm: DigestAlgorithm | undefined =
      algo.replace(/-SESS$/, '') === 'MD5'
        ? 'MD5'
        : algo.replace(/-SESS$/, '') === 'SHA-256'
          ? 'SHA-256'
          : undefined;
    if (!algorithm) return { ok: false, status: 403, reason: 'malformed' };
    const qop = d.qop?.toLowerCase();
    if (qop && qop !== 'auth') return { ok: false, status: 403, reason: 'malformed' };
    if ((qop || sess) && (!d.cnonce || (qop && !d.nc)))
      return { ok: false, status: 403, reason: 'malformed' };
    const sets = await openHa1(this.deps.envelope, trunk.id, trunk.digestHa1Enc);
    const H = (s: string) => digestHash(algorithm, s);
    let ha1 = algorithm === 'MD5' ? sets.md5 : sets.sha256;
    if (sess) ha1 = H(`${ha1}:${d.nonce}:${d.cnonce}`);
    const ha2 = H(`${input.method.toUpperCase()}:${d.uri}`);
    const expected = qop
      ? H(`${ha1}:${d.nonce}:${d.nc}:${d.cnonce}:${qop}:${ha2}`)
      : H(`${ha1}:${d.nonce}:${ha2}`);
    if (!sameHex(expected, d.response)) return { ok: false, status: 403, reason: 'bad_response' };
    return { ok: true, trunk, username: d.username };
  }
}
