// The routing plan (operators only): carriers, their SIP gateways, and routes.
import { Type } from '@sinclair/typebox';
import type { PlanService } from '../../plan/plan.service.js';
import type { PlanCache } from '../../plan/plan-cache.js';
import type { Carrier } from '../../plan/plan.repo.js';
import { CarrierCategorySchema, CarrierSettingsSchema } from '../../plan/carrier-settings.js';
import { REGIONS } from '../../config/index.js';
import { principalOf } from '../scope.js';
import { AnyObject, NoContent, Uuid, errorResponses } from '../schemas.js';
import type { ApiModule } from '../types.js';

const Country = Type.String({ pattern: '^[A-Z]{2}$' });
const RegionSchema = Type.Union(REGIONS.map((r) => Type.Literal(r)));
const CarrierStatus = Type.Union([Type.Literal('active'), Type.Literal('disabled')]);

const CarrierIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$' }),
    category: CarrierCategorySchema,
    countries: Type.Array(Country, { default: [], maxItems: 300 }),
    regions: Type.Array(RegionSchema, { default: [] }),
    status: Type.Optional(CarrierStatus),
    tier: Type.Optional(
      Type.Union([Type.Literal(1), Type.Literal(2)], { description: '1 primary, 2 secondary' }),
    ),
    licensed: Type.Optional(Type.Boolean({ description: 'an in-country licensee in each of its countries' })),
    settings: Type.Optional(CarrierSettingsSchema),
  },
  { additionalProperties: false },
);

const GatewayIn = Type.Object(
  {
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound'), Type.Literal('both')], {
      default: 'both',
    }),
    host: Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[A-Za-z0-9.:/-]+$',
      description: 'address, CIDR (inbound) or host name',
    }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 5060 }),
    transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')], {
      default: 'udp',
    }),
    priority: Type.Integer({ minimum: 0, maximum: 10_000, default: 100 }),
    matchPort: Type.Boolean({ default: false, description: 'inbound recognition also matches the port' }),
    matchTransport: Type.Boolean({
      default: false,
      description: 'inbound recognition also matches the transport',
    }),
  },
  { additionalProperties: false },
);

const VoiceCountryIn = Type.Object(
  {
    requiresLicensed: Type.Boolean({
      default: false,
      description: 'calls to this country go to an in-country licensed carrier first',
    }),
    pin: Type.Union([Type.Literal('none'), Type.Literal('country'), Type.Literal('region')], {
      default: 'none',
      description: "calls of this country's numbers are handled by SBCs in the country / region",
    }),
  },
  { additionalProperties: false },
);

const RouteIn = Type.Object(
  {
    kind: Type.Union([Type.Literal('voice'), Type.Literal('sms')]),
    prefix: Type.String({
      pattern: '^[0-9]{0,15}$',
      description: 'E.164 digits without +; empty matches everything',
    }),
    carrierId: Uuid,
    priority: Type.Integer({ minimum: 0, maximum: 10_000, default: 100 }),
    cost: Type.Number({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);

const carrierOut = (c: Carrier) => ({
  ...c,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});
const IdParams = Type.Object({ id: Uuid });

export function planRoutes(plan: PlanService, cache: PlanCache): ApiModule {
  return {
    name: 'plan',
    register(app) {
      const config = { auth: 'operator' as const };
      const tags = ['routing plan'];
      app.post(
        '/v1/carriers',
        { config, schema: { tags, body: CarrierIn, response: { 201: AnyObject, ...errorResponses } } },
        async (req, reply) => {
          const { status, settings, ...rest } = req.body;
          const c = await plan.createCarrier(principalOf(req), {
            ...rest,
            status: status ?? 'active',
            settings: settings ?? {},
          });
          return reply.status(201).send(carrierOut(c));
        },
      );
      // Reads come from this instance's cached plan: what it routes with right now.
      app.get('/v1/carriers', { config, schema: { tags } }, async () => ({
        items: [...cache.snapshot.carriers.values()].map((c) => ({
          ...carrierOut(c),
          gateways: cache.snapshot.gateways.filter((g) => g.carrierId === c.id),
        })),
        planVersion: cache.snapshot.version,
      }));
      app.get(
        '/v1/carriers/:id',
        { config, schema: { tags, params: IdParams, response: errorResponses } },
        async (req) => carrierOut(await plan.getCarrier(req.params.id)),
      );
      app.patch(
        '/v1/carriers/:id',
        {
          config,
          schema: {
            tags,
            params: IdParams,
            body: Type.Partial(Type.Omit(CarrierIn, ['category']), {
              additionalProperties: false,
              minProperties: 1,
            }),
            response: errorResponses,
          },
        },
        async (req) => carrierOut(await plan.updateCarrier(principalOf(req), req.params.id, req.body)),
      );
      app.delete(
        '/v1/carriers/:id',
        { config, schema: { tags, params: IdParams, response: { ...NoContent, ...errorResponses } } },
        async (req, reply) => {
          await plan.deleteCarrier(principalOf(req), req.params.id);
          return reply.status(204).send();
        },
      );
      app.post(
        '/v1/carriers/:id/gateways',
        {
          config,
          schema: {
            tags,
            params: IdParams,
            body: GatewayIn,
            response: { 201: AnyObject, ...errorResponses },
          },
        },
        async (req, reply) => {
          const g = await plan.createGateway(principalOf(req), {
            ...req.body,
            carrierId: req.params.id,
            settings: {},
          });
          return reply.status(201).send(g);
        },
      );
      app.delete(
        '/v1/carriers/:id/gateways/:gatewayId',
        {
          config,
          schema: {
            tags,
            params: Type.Object({ id: Uuid, gatewayId: Uuid }),
            response: { ...NoContent, ...errorResponses },
          },
        },
        async (req, reply) => {
          await plan.deleteGateway(principalOf(req), req.params.id, req.params.gatewayId);
          return reply.status(204).send();
        },
      );
      app.put(
        '/v1/voice-countries/:country',
        {
          config,
          schema: {
            tags,
            params: Type.Object({ country: Country }),
            body: VoiceCountryIn,
            response: { 200: AnyObject, ...errorResponses },
          },
        },
        async (req) => plan.setVoiceCountry(principalOf(req), { country: req.params.country, ...req.body }),
      );
      app.get('/v1/voice-countries', { config, schema: { tags } }, async () => ({
        items: [...cache.snapshot.countries.values()],
        planVersion: cache.snapshot.version,
      }));
      app.delete(
        '/v1/voice-countries/:country',
        {
          config,
          schema: {
            tags,
            params: Type.Object({ country: Country }),
            response: { ...NoContent, ...errorResponses },
          },
        },
        async (req, reply) => {
          await plan.deleteVoiceCountry(principalOf(req), req.params.country);
          return reply.status(204).send();
        },
      );
      app.post(
        '/v1/routes',
        { config, schema: { tags, body: RouteIn, response: { 201: AnyObject, ...errorResponses } } },
        async (req, reply) => {
          return reply.status(201).send(await plan.createRoute(principalOf(req), req.body));
        },
      );
      app.get(
        '/v1/routes',
        {
          config,
          schema: {
            tags,
            querystring: Type.Object(
              {
                kind: Type.Optional(Type.Union([Type.Literal('voice'), Type.Literal('sms')])),
                prefix: Type.Optional(Type.String({ pattern: '^[0-9]{0,15}$' })),
              },
              { additionalProperties: false },
            ),
          },
        },
        async (req) => ({
          items: cache.snapshot.routes.filter(
            (r) =>
              (!req.query.kind || r.kind === req.query.kind) &&
              (req.query.prefix === undefined || r.prefix.startsWith(req.query.prefix)),
          ),
          planVersion: cache.snapshot.version,
        }),
      );
      app.delete(
        '/v1/routes/:id',
        { config, schema: { tags, params: IdParams, response: { ...NoContent, ...errorResponses } } },
        async (req, reply) => {
          await plan.deleteRoute(principalOf(req), req.params.id);
          return reply.status(204).send();
        },
      );
    },
  };
}
