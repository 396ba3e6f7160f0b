// Turns an "Authorization: Bearer rc_..." header into a principal. Keys are looked up by id in the
// control plane (operator keys) or in the region named by the key (customer keys), and the secret is
// checked against its scrypt hash. A verified key is cached for a minute under the SHA-256 of the
// whole token, so scrypt runs once per key per minute, not per request; revocation evicts it on
// every instance through the invalidation bus.
import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { RegionRouter } from '../store/region-router.js';
import type { InvalidationBus } from '../cache/invalidation.js';
import type { Principal } from '../accounts/actor.js';
import { parseApiKey, verifySecret } from '../accounts/api-key.js';
import { findKey } from '../accounts/api-keys.repo.js';
import { findCustomer } from '../accounts/customers.repo.js';
import { Errors } from '../platform/errors.js';
import { counter } from '../platform/metrics.js';

type KeyPrincipal = Exclude<Principal, { kind: 'system' }>;

interface Cached {
  principal: KeyPrincipal;
  expiresAt: number;
}

export class Authenticator {
  readonly #cache = new Map<string, Cached>();
  readonly #failures;

  constructor(
    private readonly router: RegionRouter,
    bus: InvalidationBus,
    metrics: Registry,
    private readonly ttlMs = 60_000,
  ) {
    this.#failures = counter(metrics, 'api_auth_failures_total', 'Rejected API credentials', ['reason']);
    bus.on((inv) => {
      if (inv.type === 'api-key') this.#evict((p) => p.keyId === inv.id);
      else if (inv.type === 'customer') this.#evict((p) => p.kind === 'customer' && p.customerId === inv.id);
      else if (inv.type === 'resync') this.#cache.clear();
    });
  }

  async authenticate(header: string | undefined): Promise<KeyPrincipal> {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!token) return this.#fail('missing', 'missing API key: send "Authorization: Bearer <key>"');
    const digest = createHash('sha256').update(token).digest('base64');
    const cached = this.#cache.get(digest);
    if (cached && cached.expiresAt > Date.now()) return cached.principal;

    const parsed = parseApiKey(token);
    if (!parsed) return this.#fail('malformed', 'malformed API key');
    let principal: KeyPrincipal;
    if (parsed.scope.kind === 'operator') {
      const stored = await findKey(this.router.control, 'operator_keys', parsed.id);
      if (!stored || stored.revokedAt || !(await verifySecret(parsed.secret, stored.secretHash)))
        return this.#fail('invalid', 'invalid or revoked API key');
      principal = { kind: 'operator', keyId: parsed.id };
    } else {
      const { region } = parsed.scope;
      if (!this.router.isServed(region)) return this.#fail('invalid', 'invalid or revoked API key');
      const db = this.router.region(region);
      const stored = await findKey(db, 'api_keys', parsed.id);
      if (
        !stored ||
        stored.revokedAt ||
        !stored.customerId ||
        !(await verifySecret(parsed.secret, stored.secretHash))
      ) {
        return this.#fail('invalid', 'invalid or revoked API key');
      }
      const customer = await findCustomer(db, stored.customerId);
      if (!customer || customer.status === 'closed')
        return this.#fail('closed', 'the account of this key is closed');
      principal = { kind: 'customer', keyId: parsed.id, customerId: customer.id, region };
    }
    this.#cache.set(digest, { principal, expiresAt: Date.now() + this.ttlMs });
    return principal;
  }

  #fail(reason: string, message: string): never {
    this.#failures.inc({ reason });
    throw Errors.unauthenticated(message);
  }

  #evict(match: (p: KeyPrincipal) => boolean): void {
    for (const [k, v] of this.#cache) if (match(v.principal)) this.#cache.delete(k);
  }
}
