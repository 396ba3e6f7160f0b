// Customer SIP trunks (IP allow-list and/or digest credentials, limits, caller-ID policy) and the
// caller IDs a customer has verified. Customers manage their own trunks' addresses, credentials and
// media policy; limits, status and caller-ID verification are the operator's (fraud controls).
import { isIP } from 'node:net';
import { Type } from '@sinclair/typebox';
import type { TrunksService } from '../../accounts/trunks.service.js';
import type { Trunk } from '../../accounts/trunks.repo.js';
import { CallerIdPolicySchema, TrunkSettingsSchema } from '../../accounts/trunk-settings.js';
import { E164 } from '../../accounts/number-settings.js';
import { Errors } from '../../platform/errors.js';
import { customerScope, ownerFilter, principalOf, requireOperator } from '../scope.js';
import { AnyObject, NoContent, Uuid, errorResponses } from '../schemas.js';
import type { ApiModule } from '../types.js';

const Address = Type.String({
  minLength: 2,
  maxLength: 64,
  pattern: '^[0-9A-Fa-f.:]+(/[0-9]{1,3})?$',
  description: 'IPv4/IPv6 address or CIDR',
});
const Password = Type.String({ minLength: 16, maxLength: 128, description: 'at least 16 characters' });

const Limits = {
  maxConcurrent: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 100_000 }), Type.Null()])),
  maxCps: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 10_000 }), Type.Null()])),
  maxExpensivePerHour: Type.Optional(
    Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.Null()]),
  ),
};
const OPERATOR_FIELDS = ['maxConcurrent', 'maxCps', 'maxExpensivePerHour', 'status'] as const;

const CreateBody = Type.Object(
  {
    customerId: Type.Optional(Uuid),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    allowedIps: Type.Optional(Type.Array(Address, { maxItems: 100 })),
    digest: Type.Optional(
      Type.Union([Type.Boolean(), Type.Object({ password: Password }, { additionalProperties: false })], {
        description: 'true: generate credentials; { password }: use this password',
      }),
    ),
    callerIdPolicy: Type.Optional(CallerIdPolicySchema),
    settings: Type.Optional(Type.Partial(TrunkSettingsSchema)),
    ...Limits,
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    allowedIps: Type.Optional(Type.Array(Address, { maxItems: 100 })),
    callerIdPolicy: Type.Optional(CallerIdPolicySchema),
    settings: Type.Optional(Type.Partial(TrunkSettingsSchema)),
    ...Limits,
  },
  { additionalProperties: false, minProperties: 1 },
);

/** The sealed HA1 never leaves the daemon. */
const trunkOut = (t: Trunk) => ({
  id: t.id,
  customerId: t.customerId,
  name: t.name,
  status: t.status,
  allowedIps: t.allowedIps,
  digest: t.digestUsername ? { username: t.digestUsername, realm: t.digestRealm } : null,
  maxConcurrent: t.maxConcurrent,
  maxCps: t.maxCps,
  maxExpensivePerHour: t.maxExpensivePerHour,
  callerIdPolicy: t.callerIdPolicy,
  settings: t.settings,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

function checkAddresses(list: string[] | undefined): void {
  for (const a of list ?? []) {
    const [ip, bits] = a.split('/');
    const family = isIP(ip ?? '');
    const max = family === 6 ? 128 : 32;
    if (!family || (bits !== undefined && (Number(bits) > max || Number(bits) < 8)))
      throw Errors.validation(`allowedIps: ${a} is not an address or a CIDR (/8 or narrower)`);
  }
}

const IdParams = Type.Object({ id: Uuid });
const tags = ['trunks'];

export function trunksRoutes(trunks: TrunksService): ApiModule {
  return {
    name: 'trunks',
    register(app) {
      app.post(
        '/v1/trunks',
        { schema: { tags, body: CreateBody, response: { 201: AnyObject, ...errorResponses } } },
        async (req, reply) => {
          const by = principalOf(req);
          const { customerId, ...input } = req.body;
          if (by.kind !== 'operator' && OPERATOR_FIELDS.some((f) => f in input))
            throw Errors.forbidden('only operators set trunk limits');
          checkAddresses(input.allowedIps);
          const { trunk, credentials } = await trunks.create(by, customerScope(req, customerId), input);
          return reply.status(201).send({ ...trunkOut(trunk), ...(credentials ? { credentials } : {}) });
        },
      );
      app.get(
        '/v1/trunks',
        {
          schema: {
            tags,
            querystring: Type.Object(
              {
                customerId: Type.Optional(Uuid),
                limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
                cursor: Type.Optional(Uuid),
              },
              { additionalProperties: false },
            ),
          },
        },
        async (req) => {
          const items = await trunks.list(
            customerScope(req, req.query.customerId),
            req.query.cursor,
            req.query.limit,
          );
          const last = items.length === req.query.limit ? items[items.length - 1] : undefined;
          return { items: items.map(trunkOut), ...(last ? { next: last.id } : {}) };
        },
      );
      app.get(
        '/v1/trunks/:id',
        { schema: { tags, params: IdParams, response: errorResponses } },
        async (req) => trunkOut(await trunks.get(ownerFilter(req), req.params.id)),
      );
      app.patch(
        '/v1/trunks/:id',
        { schema: { tags, params: IdParams, body: PatchBody, response: errorResponses } },
        async (req) => {
          const by = principalOf(req);
          if (by.kind !== 'operator' && OPERATOR_FIELDS.some((f) => f in req.body))
            throw Errors.forbidden('only operators set trunk limits and status');
          checkAddresses(req.body.allowedIps);
          return trunkOut(await trunks.update(by, ownerFilter(req), req.params.id, req.body));
        },
      );
      app.post(
        '/v1/trunks/:id/credentials',
        {
          schema: {
            tags,
            params: IdParams,
            body: Type.Object(
              {
                password: Type.Optional(Password),
                remove: Type.Optional(Type.Boolean({ description: 'remove digest authentication' })),
              },
              { additionalProperties: false },
            ),
            response: errorResponses,
          },
        },
        async (req) => {
          const { trunk, credentials } = await trunks.rotateCredentials(
            principalOf(req),
            ownerFilter(req),
            req.params.id,
            req.body.remove ? false : req.body.password,
          );
          return { ...trunkOut(trunk), ...(credentials ? { credentials } : {}) };
        },
      );
      app.delete(
        '/v1/trunks/:id',
        { schema: { tags, params: IdParams, response: { ...NoContent, ...errorResponses } } },
        async (req, reply) => {
          await trunks.delete(principalOf(req), ownerFilter(req), req.params.id);
          return reply.status(204).send();
        },
      );

      const CallerIdParams = Type.Object({ id: Uuid, e164: E164 });
      app.get(
        '/v1/customers/:id/caller-ids',
        { schema: { tags, params: IdParams, response: errorResponses } },
        async (req) => ({
          items: (await trunks.listCallerIds(customerScope(req, req.params.id))).map((c) => ({
            e164: c.e164,
            verifiedAt: c.verifiedAt.toISOString(),
          })),
        }),
      );
      app.put(
        '/v1/customers/:id/caller-ids/:e164',
        { schema: { tags, params: CallerIdParams, response: errorResponses } },
        async (req) => {
          requireOperator(req);
          const c = await trunks.addCallerId(principalOf(req), req.params.id, req.params.e164);
          return { e164: c.e164, verifiedAt: c.verifiedAt.toISOString() };
        },
      );
      app.delete(
        '/v1/customers/:id/caller-ids/:e164',
        { schema: { tags, params: CallerIdParams, response: { ...NoContent, ...errorResponses } } },
        async (req, reply) => {
          await trunks.removeCallerId(principalOf(req), customerScope(req, req.params.id), req.params.e164);
          return reply.status(204).send();
        },
      );
    },
  };
}
