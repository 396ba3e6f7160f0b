// Customers (operators), and API keys of a customer (operators, or the customer's own keys).
import { Type } from '@sinclair/typebox';
import type { AccountsService } from '../../accounts/accounts.service.js';
import type { Customer } from '../../accounts/customers.repo.js';
import type { StoredKey } from '../../accounts/api-keys.repo.js';
import { REGIONS } from '../../config/index.js';
import { customerScope, principalOf } from '../scope.js';
import { NoContent, PageQuery, Uuid, errorResponses } from '../schemas.js';
import type { ApiModule } from '../types.js';

const RegionSchema = Type.Union(REGIONS.map((r) => Type.Literal(r)));
const StatusSchema = Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('closed')]);

const CustomerOut = Type.Object({
  id: Uuid,
  name: Type.String(),
  region: RegionSchema,
  status: StatusSchema,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const KeyOut = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

export const customerOut = (c: Customer) => ({
  id: c.id,
  name: c.name,
  region: c.billingRegion,
  status: c.status,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export const keyOut = (k: StoredKey) => ({
  id: k.id,
  name: k.name,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
});

const IdParams = Type.Object({ id: Uuid });
const Name = Type.String({ minLength: 1, maxLength: 200 });

export function customersRoutes(accounts: AccountsService): ApiModule {
  return {
    name: 'customers',
    register(app) {
      const operator = { auth: 'operator' as const };
      app.post(
        '/v1/customers',
        {
          config: operator,
          schema: {
            tags: ['customers'],
            body: Type.Object({ name: Name, region: RegionSchema }, { additionalProperties: false }),
            response: { 201: CustomerOut, ...errorResponses },
          },
        },
        async (req, reply) =>
          reply.status(201).send(customerOut(await accounts.createCustomer(principalOf(req), req.body))),
      );

      app.get(
        '/v1/customers',
        {
          config: operator,
          schema: {
            tags: ['customers'],
            querystring: PageQuery,
            response: {
              200: Type.Object({ items: Type.Array(CustomerOut), next: Type.Optional(Type.String()) }),
              ...errorResponses,
            },
          },
        },
        async (req) => {
          const page = await accounts.listCustomers(req.query.cursor, req.query.limit);
          return { items: page.items.map(customerOut), ...(page.next ? { next: page.next } : {}) };
        },
      );

      app.get(
        '/v1/customers/:id',
        {
          schema: {
            tags: ['customers'],
            params: IdParams,
            response: { 200: CustomerOut, ...errorResponses },
          },
        },
        async (req) => customerOut(await accounts.getCustomer(customerScope(req, req.params.id))),
      );

      app.patch(
        '/v1/customers/:id',
        {
          config: operator,
          schema: {
            tags: ['customers'],
            params: IdParams,
            body: Type.Object(
              { name: Type.Optional(Name), status: Type.Optional(StatusSchema) },
              { additionalProperties: false, minProperties: 1 },
            ),
            response: { 200: CustomerOut, ...errorResponses },
          },
        },
        async (req) => customerOut(await accounts.updateCustomer(principalOf(req), req.params.id, req.body)),
      );

      app.post(
        '/v1/customers/:id/api-keys',
        {
          schema: {
            tags: ['api-keys'],
            params: IdParams,
            body: Type.Object({ name: Name }, { additionalProperties: false }),
            response: {
              201: Type.Intersect([
                KeyOut,
                Type.Object({ key: Type.String({ description: 'the secret, shown once' }) }),
              ]),
              ...errorResponses,
            },
          },
        },
        async (req, reply) => {
          const customerId = customerScope(req, req.params.id);
          const { stored, token } = await accounts.createCustomerKey(
            principalOf(req),
            customerId,
            req.body.name,
          );
          return reply.status(201).send({ ...keyOut(stored), key: token });
        },
      );

      app.get(
        '/v1/customers/:id/api-keys',
        {
          schema: {
            tags: ['api-keys'],
            params: IdParams,
            response: { 200: Type.Object({ items: Type.Array(KeyOut) }), ...errorResponses },
          },
        },
        async (req) => ({
          items: (await accounts.listCustomerKeys(customerScope(req, req.params.id))).map(keyOut),
        }),
      );

      app.delete(
        '/v1/customers/:id/api-keys/:keyId',
        {
          schema: {
            tags: ['api-keys'],
            params: Type.Object({ id: Uuid, keyId: Type.String({ pattern: '^[0-9a-f]{16}$' }) }),
            response: { ...NoContent, ...errorResponses },
          },
        },
        async (req, reply) => {
          await accounts.revokeCustomerKey(
            principalOf(req),
            customerScope(req, req.params.id),
            req.params.keyId,
          );
          return reply.status(204).send();
        },
      );

      app.post(
        '/v1/operator-keys',
        {
          config: operator,
          schema: {
            tags: ['api-keys'],
            body: Type.Object({ name: Name }, { additionalProperties: false }),
            response: {
              201: Type.Intersect([KeyOut, Type.Object({ key: Type.String() })]),
              ...errorResponses,
            },
          },
        },
        async (req, reply) => {
          const { stored, token } = await accounts.createOperatorKey(principalOf(req), req.body.name);
          return reply.status(201).send({ ...keyOut(stored), key: token });
        },
      );

      app.get(
        '/v1/operator-keys',
        {
          config: operator,
          schema: {
            tags: ['api-keys'],
            response: { 200: Type.Object({ items: Type.Array(KeyOut) }), ...errorResponses },
          },
        },
        async () => ({ items: (await accounts.listOperatorKeys()).map(keyOut) }),
      );

      app.delete(
        '/v1/operator-keys/:keyId',
        {
          config: operator,
          schema: {
            tags: ['api-keys'],
            params: Type.Object({ keyId: Type.String({ pattern: '^[0-9a-f]{16}$' }) }),
            response: { ...NoContent, ...errorResponses },
          },
        },
        async (req, reply) => {
          await accounts.revokeOperatorKey(principalOf(req), req.params.keyId);
          return reply.status(204).send();
        },
      );
    },
  };
}
