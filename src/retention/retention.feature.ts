// The retention feature: runs the sweeper on this instance (one sweeper per region holds the lock at
// a time across instances), stops it before the databases close, reports a sweeper that has not
// succeeded for three intervals as unhealthy (not critical: the daemon still routes).
import type { Feature, FeatureHandle } from '../feature.js';
import { RetentionSweeper } from './sweeper.js';

export interface RetentionHandle extends FeatureHandle {
  sweeper: RetentionSweeper;
}

export const retentionFeature: Feature = {
  name: 'retention',
  async start(ctx): Promise<RetentionHandle> {
    const sweeper = new RetentionSweeper({
      router: ctx.stores.router,
      objects: ctx.objects,
      envelope: ctx.envelope,
      state: ctx.state,
      log: ctx.log.child({ component: 'retention' }),
      metrics: ctx.metrics,
      config: ctx.config.retention,
      instanceId: ctx.config.instance.id,
    });
    if (ctx.config.retention.enabled) {
      sweeper.start();
      const bound = ctx.config.retention.sweepIntervalMs * 3 + ctx.config.retention.lockTtlMs;
      ctx.health.register(
        'retention-sweeper',
        () => {
          const since = sweeper.sinceLastSuccess();
          if (since !== undefined && since > bound)
            throw new Error(`no successful sweep for ${Math.round(since / 1000)} s`);
        },
        false,
      );
    }
    // Drain phase: a batch in hand finishes (its rows and objects stay consistent either way).
    ctx.lifecycle.onStop('drain', 'retention-sweeper', () => sweeper.stop());
    return { sweeper };
  },
};
