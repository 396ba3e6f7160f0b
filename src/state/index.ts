import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { SharedState } from './shared-state.js';
import { MemoryState } from './memory.state.js';
import { RedisState } from './redis.state.js';

export type { SharedState, TokenBucket } from './shared-state.js';
export { MemoryState } from './memory.state.js';
export { RedisState } from './redis.state.js';

/** Redis when configured, otherwise the in-process implementation (embedded default, one instance). */
export async function openSharedState(config: Pick<Config, 'redis'>, log: Logger): Promise<SharedState> {
  const { redis } = config;
  if (!redis.url) {
    log.info('no redis.url configured: using in-process shared state (single instance only)');
    return new MemoryState(redis.keyPrefix);
  }
  let lastLogged = 0;
  const state = new RedisState({
    url: redis.url.reveal(),
    keyPrefix: redis.keyPrefix,
    commandTimeoutMs: redis.commandTimeoutMs,
    onError: (err) => {
      // ioredis reports every failed reconnect; one line per 10 s is enough for the operator.
      if (Date.now() - lastLogged > 10_000) {
        lastLogged = Date.now();
        log.warn(
          { err: { message: err.message, code: (err as NodeJS.ErrnoException).code } },
          'redis connection error',
        );
      }
    },
  });
  await state.connect();
  return state;
}
