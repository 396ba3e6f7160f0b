// Latency histograms for the two stores every request and call depends on (PostgreSQL and Redis),
// without touching their implementations: a proxy that times the async methods named.
//
// The proxy calls methods on the real object (not on the proxy), so classes with private fields
// (#x) keep working; property reads go through unchanged.
import type { Registry } from 'prom-client';
import { counter, histogram } from './metrics.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Wraps target so that every call of one of `methods` reports its duration and outcome. */
export function timed<T extends object>(
  target: T,
  methods: readonly string[],
  observe: (method: string, seconds: number, ok: boolean) => void,
): T {
  const names = new Set(methods);
  const wrappers = new Map<string, unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof prop !== 'string' || typeof value !== 'function') return value;
      let wrapped = wrappers.get(prop);
      if (wrapped) return wrapped;
      const fn = value as (...args: unknown[]) => unknown;
      // Other methods are bound to the target too (private fields need the real `this`).
      if (!names.has(prop)) wrapped = fn.bind(obj);
      else
        wrapped = (...args: unknown[]) => {
          const started = performance.now();
          const done = (ok: boolean) => observe(prop, (performance.now() - started) / 1000, ok);
          let out: unknown;
          try {
            out = fn.apply(obj, args);
          } catch (err) {
            done(false);
            throw err;
          }
          if (out instanceof Promise)
            return out.then(
              (v: unknown) => {
                done(true);
                return v;
              },
              (err: unknown) => {
                done(false);
                throw err;
              },
            );
          done(true);
          return out;
        };
      wrappers.set(prop, wrapped);
      return wrapped;
    },
  });
}

/** Database calls: db_query_duration_seconds{db, op} and db_query_errors_total{db, op}. */
export function dbTimer(metrics: Registry, db: string) {
  const duration = histogram(
    metrics,
    'db_query_duration_seconds',
    'Duration of database calls (a tx is the whole transaction), by database (control or region) and operation',
    ['db', 'op'],
    LATENCY_BUCKETS,
  );
  const errors = counter(
    metrics,
    'db_query_errors_total',
    'Database calls that failed, by database and operation',
    ['db', 'op'],
  );
  for (const op of DB_METHODS) errors.inc({ db, op }, 0);
  return (op: string, seconds: number, ok: boolean) => {
    duration.observe({ db, op }, seconds);
    if (!ok) errors.inc({ db, op });
  };
}

export const DB_METHODS = ['query', 'exec', 'tx', 'ping'] as const;

/** Shared-state calls: shared_state_duration_seconds{backend, op} and shared_state_errors_total. */
export function sharedStateTimer(metrics: Registry, backend: string) {
  const duration = histogram(
    metrics,
    'shared_state_duration_seconds',
    'Duration of shared-state (Redis) operations, by backend and operation',
    ['backend', 'op'],
    LATENCY_BUCKETS,
  );
  const errors = counter(
    metrics,
    'shared_state_errors_total',
    'Shared-state (Redis) operations that failed, by backend',
    ['backend'],
  );
  errors.inc({ backend }, 0);
  return (op: string, seconds: number, ok: boolean) => {
    duration.observe({ backend, op }, seconds);
    if (!ok) errors.inc({ backend });
  };
}

/** Every SharedState operation (subscribe and close are not latency-relevant). */
export const SHARED_STATE_METHODS = [
  'get',
  'set',
  'setIfAbsent',
  'getDel',
  'del',
  'incrWindow',
  'takeToken',
  'acquireLease',
  'renewLease',
  'releaseLease',
  'countLeases',
  'hashPut',
  'hashGetAll',
  'tryLock',
  'renewLock',
  'unlock',
  'publish',
  'ping',
] as const;
