// The messaging API: send (202 at once), list and fetch messages (MDR, body when kept, media links,
// delivery state including dead letters), delete content, the customer's webhook signing key, and
// SMPP binds for operators.
import { Type } from '@sinclair/typebox';
import { customerScope, ownerFilter, principalOf, requireOperator } from '../api/scope.js';
import { Uuid, errorResponses, NoContent, Timestamp } from '../api/schemas.js';
import type { ApiModule } from '../api/types.js';
import { E164 } from '../accounts/number-settings.js';
import { MAX_TEXT } from './outbound.js';
import type { MessagingService } from './messaging.service.js';

const SendBody = Type.Object(
  {
    customerId: Type.Optional(Uuid),
    from: Type.String({
      minLength: 1,
      maxLength: 16,
      description: 'a number you own (E.164) or an alphanumeric sender ID',
    }),
    to: E164,
    text: Type.String({ minLength: 1, maxLength: MAX_TEXT }),
    statusCallbackUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    campaignId: Type.Optional(Type.String({ maxLength: 20, description: 'US 10DLC campaign id' })),
    dlt: Type.Optional(
      Type.Object(
        { entityId: Type.String({ maxLength: 30 }), templateId: Type.String({ maxLength: 30 }) },
        { additionalProperties: false, description: 'India DLT principal entity and content template ids' },
      ),
    ),
  },
  { additionalProperties: false },
);

const Accepted = Type.Object({
  id: Uuid,
  status: Type.Literal('queued'),
  parts: Type.Integer(),
  encoding: Type.String(),
});

const Message = Type.Object({}, { additionalProperties: true });

export function messagesRoutes(svc: MessagingService): ApiModule {
  return {
    name: 'messages',
    register(app) {
      app.post(
        '/v1/messages',
        {
          schema: {
            tags: ['messaging'],
            description:
              'Sends an SMS; answers 202 with the message id at once. Idempotency-Key header or body field.',
            body: SendBody,
            response: { 202: Accepted, 200: Accepted, ...errorResponses },
          },
        },
        async (req, reply) => {
          const b = req.body;
          const customerId = customerScope(req, b.customerId);
          const headerKey = req.headers['idempotency-key'];
          const key =
            b.idempotencyKey ??
            (typeof headerKey === 'string' && headerKey ? headerKey.slice(0, 200) : undefined);
          const out = await svc.outbound.send(customerId, {
            from: b.from,
            to: b.to,
            text: b.text,
            ...(b.statusCallbackUrl ? { statusCallbackUrl: b.statusCallbackUrl } : {}),
            ...(key ? { idempotencyKey: key } : {}),
            ...(b.campaignId ? { campaignId: b.campaignId } : {}),
            ...(b.dlt ? { dlt: b.dlt } : {}),
          });
          return reply.status(out.duplicate ? 200 : 202).send({
            id: out.id,
            status: out.status,
            parts: out.parts,
            encoding: out.encoding,
          });
        },
      );

      app.get(
        '/v1/messages',
        {
          schema: {
            tags: ['messaging'],
            querystring: Type.Object(
              {
                customerId: Type.Optional(Uuid),
                direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
                from: Type.Optional(Timestamp),
                to: Type.Optional(Timestamp),
                limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
              },
              { additionalProperties: false },
            ),
            response: { 200: Type.Object({ items: Type.Array(Message) }), ...errorResponses },
          },
        },
        async (req) => {
          const q = req.query;
          return {
            items: await svc.list(customerScope(req, q.customerId), {
              ...(q.direction ? { direction: q.direction } : {}),
              ...(q.from ? { from: new Date(q.from) } : {}),
              ...(q.to ? { to: new Date(q.to) } : {}),
              limit: q.limit,
            }),
          };
        },
      );

      app.get(
        '/v1/messages/:id',
        {
          schema: {
            tags: ['messaging'],
            params: Type.Object({ id: Uuid }),
            response: { 200: Message, ...errorResponses },
          },
        },
        async (req) => svc.get(principalOf(req), ownerFilter(req), req.params.id),
      );

      app.delete(
        '/v1/messages/:id/content',
        {
          schema: {
            tags: ['messaging'],
            description: 'Deletes the body and media of a message now; its MDR stays.',
            params: Type.Object({ id: Uuid }),
            response: { ...NoContent, ...errorResponses },
          },
        },
        async (req, reply) => {
          await svc.deleteContent(principalOf(req), ownerFilter(req), req.params.id);
          return reply.status(204).send();
        },
      );

      app.get(
        '/v1/message-deliveries',
        {
          schema: {
            tags: ['messaging'],
            description: 'Deliveries to your webhook and mail box; state=dead lists the dead letters.',
            querystring: Type.Object(
              {
                customerId: Type.Optional(Uuid),
                state: Type.Union(
                  [Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')],
                  {
                    default: 'dead',
                  },
                ),
                limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
              },
              { additionalProperties: false },
            ),
            response: { 200: Type.Object({ items: Type.Array(Message) }), ...errorResponses },
          },
        },
        async (req) => ({
          items: await svc.deliveries(
            customerScope(req, req.query.customerId),
            req.query.state,
            req.query.limit,
          ),
        }),
      );

      app.get(
        '/v1/messaging/signing-key',
        {
          schema: {
            tags: ['messaging'],
            description: 'The key your webhooks are signed with (HMAC-SHA256 over "<timestamp>.<body>")',
            querystring: Type.Object({ customerId: Type.Optional(Uuid) }, { additionalProperties: false }),
            response: {
              200: Type.Object({ key: Type.String(), algorithm: Type.String() }),
              ...errorResponses,
            },
          },
        },
        async (req, reply) => {
          reply.header('cache-control', 'no-store');
          return {
            key: svc.signingKeyOf(customerScope(req, req.query.customerId)),
            algorithm: 'HMAC-SHA256',
          };
        },
      );

      app.post(
        '/v1/carriers/:id/smpp-binds',
        {
          schema: {
            tags: ['plan'],
            params: Type.Object({ id: Uuid }),
            body: Type.Object(
              {
                name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' }),
                host: Type.String({ minLength: 1, maxLength: 255 }),
                port: Type.Integer({ minimum: 1, maximum: 65535 }),
                tls: Type.Boolean({ default: false }),
                systemId: Type.String({ minLength: 1, maxLength: 16 }),
                password: Type.Optional(
                  Type.String({ maxLength: 9, description: 'sealed at rest; never returned' }),
                ),
                bindType: Type.Union(
                  [Type.Literal('transceiver'), Type.Literal('transmitter'), Type.Literal('receiver')],
                  { default: 'transceiver' },
                ),
                windowSize: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
                maxMps: Type.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
              },
              { additionalProperties: false },
            ),
            response: { 201: Type.Object({ id: Uuid }), ...errorResponses },
          },
        },
        async (req, reply) => {
          requireOperator(req);
          const id = await svc.createBind(principalOf(req), { carrierId: req.params.id, ...req.body });
          return reply.status(201).send({ id });
        },
      );
    },
  };
}
