// The in-process shared state for the embedded default (one instance). Same semantics as Redis;
// expired entries are dropped lazily on access and by a periodic sweep.
import type { SharedState, TokenBucket } from './shared-state.js';

interface Entry {
  value: string;
  expiresAt: number;
}

export class MemoryState implements SharedState {
  readonly backend = 'memory' as const;
  readonly #values = new Map<string, Entry>();
  readonly #buckets = new Map<string, { tokens: number; at: number; expiresAt: number }>();
  readonly #leases = new Map<string, Map<string, number>>();
  readonly #hashes = new Map<string, { fields: Map<string, string>; expiresAt: number }>();
  readonly #subscribers = new Map<string, Set<(m: string) => void>>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(
    private readonly prefix = '',
    private readonly now: () => number = Date.now,
  ) {
    this.#sweeper = setInterval(() => this.#sweep(), 5000);
    this.#sweeper.unref();
  }

  #k(key: string): string {
    return this.prefix + key;
  }

  #live(key: string): Entry | undefined {
    const e = this.#values.get(this.#k(key));
    if (e && e.expiresAt <= this.now()) {
      this.#values.delete(this.#k(key));
      return undefined;
    }
    return e;
  }

  async get(key: string) {
    return this.#live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs: number) {
    this.#values.set(this.#k(key), { value, expiresAt: this.now() + ttlMs });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.#live(key)) return false;
    await this.set(key, value, ttlMs);
    return true;
  }

  async getDel(key: string) {
    const e = this.#live(key);
    this.#values.delete(this.#k(key));
    return e?.value ?? null;
  }

  async del(...keys: string[]) {
    let n = 0;
    for (const key of keys) {
      const k = this.#k(key);
      if (
        this.#values.delete(k) ||
        this.#hashes.delete(k) ||
        this.#leases.delete(k) ||
        this.#buckets.delete(k)
      )
        n++;
    }
    return n;
  }

  async incrWindow(key: string, windowMs: number, by = 1) {
    const e = this.#live(key);
    if (!e) {
      this.#values.set(this.#k(key), { value: String(by), expiresAt: this.now() + windowMs });
      return { count: by, resetMs: windowMs };
    }
    const count = Number(e.value) + by;
    e.value = String(count);
    return { count, resetMs: e.expiresAt - this.now() };
  }

  async takeToken(key: string, bucket: TokenBucket, cost = 1) {
    const now = this.now();
    const k = this.#k(key);
    const b = this.#buckets.get(k) ?? { tokens: bucket.burst, at: now, expiresAt: 0 };
    b.tokens = Math.min(bucket.burst, b.tokens + ((now - b.at) * bucket.ratePerSec) / 1000);
    b.at = now;
    b.expiresAt = now + Math.ceil((bucket.burst / bucket.ratePerSec) * 1000) + 1000;
    this.#buckets.set(k, b);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((cost - b.tokens) / bucket.ratePerSec) * 1000) };
  }

  #leaseSet(key: string): Map<string, number> {
    const k = this.#k(key);
    const set = this.#leases.get(k) ?? new Map<string, number>();
    const now = this.now();
    for (const [holder, exp] of set) if (exp <= now) set.delete(holder);
    this.#leases.set(k, set);
    return set;
  }

  async acquireLease(key: string, holder: string, limit: number, ttlMs: number) {
    const set = this.#leaseSet(key);
    if (!set.has(holder) && set.size >= limit) return false;
    set.set(holder, this.now() + ttlMs);
    return true;
  }

  async renewLease(key: string, holder: string, ttlMs: number) {
    const set = this.#leaseSet(key);
    if (!set.has(holder)) return false;
    set.set(holder, this.now() + ttlMs);
    return true;
  }

  async releaseLease(key: string, holder: string) {
    this.#leaseSet(key).delete(holder);
  }

  async countLeases(key: string) {
    return this.#leaseSet(key).size;
  }

  async hashPut(key: string, field: string, value: string, ttlMs: number) {
    const k = this.#k(key);
    let h = this.#hashes.get(k);
    if (!h || h.expiresAt <= this.now()) h = { fields: new Map(), expiresAt: 0 };
    h.fields.set(field, value);
    h.expiresAt = this.now() + ttlMs;
    this.#hashes.set(k, h);
    return h.fields.size;
  }

  async hashGetAll(key: string) {
    const h = this.#hashes.get(this.#k(key));
    if (!h || h.expiresAt <= this.now()) return {};
    return Object.fromEntries(h.fields);
  }

  async tryLock(key: string, owner: string, ttlMs: number) {
    return this.setIfAbsent(key, owner, ttlMs);
  }

  async renewLock(key: string, owner: string, ttlMs: number) {
    const e = this.#live(key);
    if (!e || e.value !== owner) return false;
    e.expiresAt = this.now() + ttlMs;
    return true;
  }

  async unlock(key: string, owner: string) {
    if (this.#live(key)?.value === owner) this.#values.delete(this.#k(key));
  }

  async publish(channel: string, message: string) {
    // Delivered asynchronously, as Redis does, so a publisher never runs subscribers inline.
    for (const fn of this.#subscribers.get(this.#k(channel)) ?? []) queueMicrotask(() => fn(message));
  }

  async subscribe(channel: string, handler: (m: string) => void) {
    const k = this.#k(channel);
    const set = this.#subscribers.get(k) ?? new Set();
    set.add(handler);
    this.#subscribers.set(k, set);
    return async () => {
      set.delete(handler);
    };
  }

  onResync(): void {
    // An in-process bus never loses messages.
  }

  async ping() {}

  async close() {
    clearInterval(this.#sweeper);
  }

  #sweep(): void {
    const now = this.now();
    for (const [k, e] of this.#values) if (e.expiresAt <= now) this.#values.delete(k);
    for (const [k, b] of this.#buckets) if (b.expiresAt <= now) this.#buckets.delete(k);
    for (const [k, h] of this.#hashes) if (h.expiresAt <= now) this.#hashes.delete(k);
    for (const [k, set] of this.#leases) {
      for (const [holder, exp] of set) if (exp <= now) set.delete(holder);
      if (set.size === 0) this.#leases.delete(k);
    }
  }
}
