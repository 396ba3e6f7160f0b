// Operator controls of this one instance. POST /admin/drain starts the same stop as SIGTERM: the
// instance stops taking new calls and submits (intake), readiness turns 503, calls in progress end
// normally (drain, bounded by shutdown.graceMs), records flush, and the daemon exits.
import { Type } from '@sinclair/typebox';
import type { ApiModule } from '../types.js';

export interface DrainStatus {
  /** running, intake, drain, flush or stopped */
  state: string;
  /** Calls in progress on this instance; null when voice does not run here. */
  activeCalls: number | null;
  /** Milliseconds since the drain started; null while running. */
  drainingForMs: number | null;
}

export interface DrainControl {
  /** Starts the drain (idempotent) and returns the status right after. */
  drain(): DrainStatus;
  status(): DrainStatus;
}

const Status = Type.Object({
  state: Type.String(),
  activeCalls: Type.Union([Type.Integer(), Type.Null()]),
  drainingForMs: Type.Union([Type.Integer(), Type.Null()]),
});

export function adminRoutes(control: DrainControl): ApiModule {
  return {
    name: 'admin',
    register(app) {
      const config = { auth: 'operator' as const, rateLimit: false as const };
      const tags = ['operations'];
      app.post(
        '/admin/drain',
        {
          config,
          schema: {
            tags,
            summary: 'Drain this instance: no new calls or submits, finish the calls in progress, exit',
            response: { 202: Status },
          },
        },
        async (req, reply) => {
          const status = control.drain();
          req.log.warn({ principal: req.principal?.kind, ...status }, 'drain requested over the API');
          return reply.status(202).send(status);
        },
      );
      app.get(
        '/admin/drain',
        { config, schema: { tags, summary: 'Drain status of this instance', response: { 200: Status } } },
        async () => control.status(),
      );
    },
  };
}
