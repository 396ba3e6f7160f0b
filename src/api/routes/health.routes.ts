// Liveness, readiness and metrics: public, never rate-limited (probes and scrapers must always get in).
import type { Registry } from 'prom-client';
import type { Health } from '../../platform/health.js';
import type { ApiModule } from '../types.js';

export function healthRoutes(deps: { health: Health; metrics: Registry }): ApiModule {
  return {
    name: 'health',
    register(app) {
      const config = { auth: 'public' as const, rateLimit: false as const };
      app.get('/healthz', { config, schema: { hide: true } }, async () => ({ status: 'ok' }));
      app.get('/readyz', { config, schema: { hide: true } }, async (_req, reply) => {
        const { ready, checks } = await deps.health.run();
        const body = { status: ready ? 'ready' : deps.health.draining ? 'draining' : 'not ready', checks };
        return reply.status(ready ? 200 : 503).send(body);
      });
      app.get('/metrics', { config, schema: { hide: true } }, async (_req, reply) => {
        const text = await deps.metrics.metrics();
        return reply.header('content-type', deps.metrics.contentType).send(text);
      });
    },
  };
}
