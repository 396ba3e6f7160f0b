// The HTTP side-API. One fastify instance; route groups come in as modules from main.ts.
//   1. every request gets an id and a child logger (fastify)
//   2. onRequest: authenticate unless the route is public, then check the route's auth level
//   3. onRequest (route level): per-key rate limit, shared across instances
//   4. validation against the route's JSON schema; the handler; one error handler for everything thrown
import Fastify, { LogController } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config/index.js';
import type { SharedState } from '../state/index.js';
import { Errors } from '../platform/errors.js';
import { counter, histogram } from '../platform/metrics.js';
import type { Authenticator } from './authenticator.js';
import { errorHandler } from './errors.js';
import { sharedStateRateLimitStore } from './rate-limit.store.js';
import { ErrorSchema } from './schemas.js';
import type { Api, ApiModule } from './types.js';

export interface ApiDeps {
  config: Config['api'];
  log: Logger;
  metrics: Registry;
  state: SharedState;
  authenticator: Authenticator;
  modules: ApiModule[];
}

export async function buildApi(deps: ApiDeps): Promise<Api> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }),
    bodyLimit: deps.config.bodyLimitBytes,
    // One access line per request is written in onResponse below, with the key id and route.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
    genReqId: () => crypto.randomUUID(),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;

  const requests = counter(deps.metrics, 'api_requests_total', 'API requests by route and status class', [
    'route',
    'method',
    'status',
  ]);
  const duration = histogram(deps.metrics, 'api_request_duration_seconds', 'API request duration', [
    'route',
    'method',
  ]);

  app.setErrorHandler(errorHandler);
  app.addSchema(ErrorSchema);
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Routing core side-API',
        version: '1',
        description: 'Numbers, routing, recording and retention controls',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });

  app.addHook('onRequest', async (req) => {
    const level = req.routeOptions.config.auth ?? 'any';
    if (level === 'public') return;
    req.principal = await deps.authenticator.authenticate(req.headers.authorization);
    if (level === 'operator' && req.principal.kind !== 'operator')
      throw Errors.forbidden('this needs an operator key');
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ route, method: req.method, status: `${Math.floor(reply.statusCode / 100)}xx` });
    duration.observe({ route, method: req.method }, reply.elapsedTime / 1000);
    if (req.routeOptions.config.auth !== 'public') {
      req.log.info(
        {
          method: req.method,
          route,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          keyId: req.principal?.keyId,
        },
        'api request',
      );
    }
  });

  await app.register(rateLimit, {
    global: true,
    max: deps.config.rateLimit.max,
    timeWindow: deps.config.rateLimit.windowMs,
    store: sharedStateRateLimitStore(deps.state),
    // Limits are per key; unauthenticated traffic is limited per source address.
    keyGenerator: (req) => req.principal?.keyId ?? `ip:${req.ip}`,
    // A shared-state outage must not take the API down with it.
    skipOnError: true,
    errorResponseBuilder: (_req, ctx) => Errors.rateLimited(Math.max(1, Math.ceil(ctx.ttl / 1000))),
  });

  app.get(
    '/openapi.json',
    { config: { auth: 'public', rateLimit: false }, schema: { hide: true } },
    async () => app.swagger(),
  );

  for (const m of deps.modules) await app.register(async (scope) => m.register(scope as unknown as Api));
  return app;
}
