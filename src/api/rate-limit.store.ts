// A @fastify/rate-limit store on our shared state, so per-key limits hold across instances whether
// the shared state is Redis or in-process.
import type { SharedState } from '../state/index.js';

type Callback = (err: Error | null, res?: { current: number; ttl: number }) => void;

export function sharedStateRateLimitStore(state: SharedState) {
  return class SharedStateStore {
    incr(key: string, cb: Callback, timeWindow: number): void {
      state.incrWindow(`ratelimit:${key}`, timeWindow).then(
        ({ count, resetMs }) => cb(null, { current: count, ttl: resetMs }),
        (err: Error) => cb(err),
      );
    }

    child(): SharedStateStore {
      return new SharedStateStore();
    }
  };
}
