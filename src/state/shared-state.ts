// Shared state: what every instance of the daemon must agree on at call and message speed.
// Two implementations behind this one interface: Redis (production, several instances) and
// in-process (the embedded default, one instance). Every key and channel gets the configured prefix.
//
// Time-based state (windows, buckets, leases) is computed from the server's clock in Redis, so
// instances with skewed clocks still agree.
export interface TokenBucket {
  /** Sustained rate in tokens per second. */
  ratePerSec: number;
  /** Largest burst, in tokens. */
  burst: number;
}

export interface SharedState {
  readonly backend: 'redis' | 'memory';

  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only when absent; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Reads and deletes in one step (one-time values such as digest nonces). */
  getDel(key: string): Promise<string | null>;
  del(...keys: string[]): Promise<number>;

  /** Fixed-window counter: adds `by` and returns the count in the current window and the ms left in it. */
  incrWindow(key: string, windowMs: number, by?: number): Promise<{ count: number; resetMs: number }>;
  /** Token bucket: takes `cost` tokens if available. */
  takeToken(
    key: string,
    bucket: TokenBucket,
    cost?: number,
  ): Promise<{ allowed: boolean; retryAfterMs: number }>;

  /**
   * Leases: at most `limit` holders of `key` at once (concurrent calls of a customer, of a carrier).
   * A lease expires after ttlMs unless renewed, so an instance that dies gives its leases back.
   */
  acquireLease(key: string, holder: string, limit: number, ttlMs: number): Promise<boolean>;
  renewLease(key: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(key: string, holder: string): Promise<void>;
  countLeases(key: string): Promise<number>;

  /** Adds a field to a hash that expires ttlMs after its last write; returns the number of fields. */
  hashPut(key: string, field: string, value: string, ttlMs: number): Promise<number>;
  hashGetAll(key: string): Promise<Record<string, string>>;

  /** A lock is a key holding its owner; unlock and renew act only for the owner. */
  tryLock(key: string, owner: string, ttlMs: number): Promise<boolean>;
  renewLock(key: string, owner: string, ttlMs: number): Promise<boolean>;
  unlock(key: string, owner: string): Promise<void>;

  publish(channel: string, message: string): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /**
   * Called after the subscription connection was lost and came back: messages may have been missed,
   * so caches must reload rather than trust invalidations.
   */
  onResync(handler: () => void): void;

  ping(): Promise<void>;
  close(): Promise<void>;
}
