// Drain: the operator's way to take one instance out without dropping a call. POST /admin/drain
// (operator keys) and SIGTERM run the same lifecycle stop: intake (voice removes its INVITE route on
// every SBC so the SBCs offer new calls to the other instances; SMPP binds stop taking submits once
// in-flight ones are answered; readiness turns 503), drain (calls in progress end normally, bounded
// by shutdown.graceMs), flush (records, connections). main.ts exits once the stop has run.
//
// The feature steps themselves are registered by voice and messaging; this one exposes the control,
// counts what is left, and exports the state for dashboards.
import type { Feature } from '../feature.js';
import { gauge } from '../platform/metrics.js';
import { adminRoutes, type DrainStatus } from '../api/routes/admin.routes.js';

/** What voice provides as ctx.provide('voiceDrain', ...). */
interface VoiceDrain {
  drain(): Promise<void>;
  activeCalls(): number;
}

export const drainFeature: Feature = {
  name: 'drain',
  async start(ctx) {
    const { lifecycle, config, log } = ctx;
    const status = (): DrainStatus => ({
      state: lifecycle.state,
      activeCalls: ctx.lookup<VoiceDrain>('voiceDrain')?.activeCalls() ?? null,
      drainingForMs: lifecycle.stoppingForMs ?? null,
    });
    const draining = gauge(
      ctx.metrics,
      'instance_draining',
      '1 while this instance drains or stops (no new calls or submits), 0 while it serves',
    );
    draining.set(0);
    // First intake step of all: the gauge says "draining" before routes are removed.
    lifecycle.onStop('intake', 'drain-state', () => {
      draining.set(1);
      log.info({ activeCalls: status().activeCalls, graceMs: config.shutdown.graceMs }, 'draining');
    });
    return {
      apiModules: [
        adminRoutes({
          drain() {
            void lifecycle.stop(config.shutdown.graceMs);
            return status();
          },
          status,
        }),
      ],
    };
  },
};
