// Shared state on Redis through ioredis. Commands fail fast when Redis is unreachable (no offline
// queue, a command timeout), so a call or a message never waits on a dead connection; callers
// decide whether to fail open or closed. The subscriber uses its own connection, as Redis requires.
import { Redis, type RedisOptions } from 'ioredis';
import type { SharedState, TokenBucket } from './shared-state.js';
import * as scripts from './redis.scripts.js';

type Scripted = Redis & {
  takeToken(key: string, rate: number, burst: number, cost: number): Promise<[number, number]>;
  incrWindow(key: string, windowMs: number, by: number): Promise<[number, number]>;
  acquireLease(key: string, holder: string, limit: number, ttl: number): Promise<number>;
  renewLease(key: string, holder: string, ttl: number): Promise<number>;
  countLeases(key: string): Promise<number>;
  hashPut(key: string, field: string, value: string, ttl: number): Promise<number>;
  renewLock(key: string, owner: string, ttl: number): Promise<number>;
  unlockOwned(key: string, owner: string): Promise<number>;
};

export interface RedisStateOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  onError?: (err: Error) => void;
}

export class RedisState implements SharedState {
  readonly backend = 'redis' as const;
  readonly client: Scripted;
  readonly #sub: Redis;
  readonly #handlers = new Map<string, Set<(m: string) => void>>();
  readonly #resync = new Set<() => void>();
  #subscriberWasReady = false;

  constructor(private readonly opts: RedisStateOptions) {
    const base: RedisOptions = {
      keyPrefix: opts.keyPrefix,
      commandTimeout: opts.commandTimeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      // Reconnect forever with capped backoff; the offline queue is off, so nothing piles up meanwhile.
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    };
    this.client = new Redis(opts.url, base) as Scripted;
    this.#sub = new Redis(opts.url, { ...base, keyPrefix: undefined, enableOfflineQueue: true });
    const defs: [string, number, string][] = [
      ['takeToken', 1, scripts.TAKE_TOKEN],
      ['incrWindow', 1, scripts.INCR_WINDOW],
      ['acquireLease', 1, scripts.ACQUIRE_LEASE],
      ['renewLease', 1, scripts.RENEW_LEASE],
      ['countLeases', 1, scripts.COUNT_LEASES],
      ['hashPut', 1, scripts.HASH_PUT],
      ['renewLock', 1, scripts.RENEW_LOCK],
      ['unlockOwned', 1, scripts.UNLOCK],
    ];
    for (const [name, numberOfKeys, lua] of defs) this.client.defineCommand(name, { numberOfKeys, lua });
    const onError = opts.onError ?? (() => undefined);
    this.client.on('error', onError);
    this.#sub.on('error', onError);
    this.#sub.on('message', (channel: string, message: string) => {
      for (const fn of this.#handlers.get(channel) ?? []) fn(message);
    });
    // ioredis resubscribes after a reconnect, but whatever was published meanwhile is gone.
    this.#sub.on('ready', () => {
      if (this.#subscriberWasReady) for (const fn of this.#resync) fn();
      this.#subscriberWasReady = true;
    });
  }

  async connect(): Promise<void> {
    await Promise.all([this.client.connect(), this.#sub.connect()]);
  }

  async get(key: string) {
    return this.client.get(key);
  }

  async set(key: string, value: string, ttlMs: number) {
    await this.client.set(key, value, 'PX', ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    return (await this.client.set(key, value, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async getDel(key: string) {
    return this.client.getdel(key);
  }

  async del(...keys: string[]) {
    return keys.length ? this.client.del(...keys) : 0;
  }

  async incrWindow(key: string, windowMs: number, by = 1) {
    const [count, resetMs] = await this.client.incrWindow(key, windowMs, by);
    return { count, resetMs };
  }

  async takeToken(key: string, bucket: TokenBucket, cost = 1) {
    const [allowed, retryAfterMs] = await this.client.takeToken(key, bucket.ratePerSec, bucket.burst, cost);
    return { allowed: allowed === 1, retryAfterMs };
  }

  async acquireLease(key: string, holder: string, limit: number, ttlMs: number) {
    return (await this.client.acquireLease(key, holder, limit, ttlMs)) === 1;
  }

  async renewLease(key: string, holder: string, ttlMs: number) {
    return (await this.client.renewLease(key, holder, ttlMs)) === 1;
  }

  async releaseLease(key: string, holder: string) {
    await this.client.zrem(key, holder);
  }

  async countLeases(key: string) {
    return this.client.countLeases(key);
  }

  async hashPut(key: string, field: string, value: string, ttlMs: number) {
    return this.client.hashPut(key, field, value, ttlMs);
  }

  async hashGetAll(key: string) {
    return this.client.hgetall(key);
  }

  async tryLock(key: string, owner: string, ttlMs: number) {
    return this.setIfAbsent(key, owner, ttlMs);
  }

  async renewLock(key: string, owner: string, ttlMs: number) {
    return (await this.client.renewLock(key, owner, ttlMs)) === 1;
  }

  async unlock(key: string, owner: string) {
    await this.client.unlockOwned(key, owner);
  }

  async publish(channel: string, message: string) {
    await this.client.publish(this.opts.keyPrefix + channel, message);
  }

  async subscribe(channel: string, handler: (m: string) => void) {
    const full = this.opts.keyPrefix + channel;
    let set = this.#handlers.get(full);
    if (!set) {
      set = new Set();
      this.#handlers.set(full, set);
      await this.#sub.subscribe(full);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0) {
        this.#handlers.delete(full);
        await this.#sub.unsubscribe(full).catch(() => undefined);
      }
    };
  }

  onResync(handler: () => void): void {
    this.#resync.add(handler);
  }

  async ping() {
    await this.client.ping();
  }

  async close() {
    await Promise.allSettled([this.client.quit(), this.#sub.quit()]);
    this.client.disconnect();
    this.#sub.disconnect();
  }
}
