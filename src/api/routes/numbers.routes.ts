// A customer's numbers and their routing, messaging, recording and retention settings.
// Customer keys act on their own numbers; status (KYC, suspension) is set by operators only.
import { Type } from '@sinclair/typebox';
import type { AccountsService } from '../../accounts/accounts.service.js';
import type { NumberRecord } from '../../accounts/numbers.repo.js';
import {
  E164,
  NumberStatusSchema,
  VoiceSettingsSchema,
  MessagingSettingsSchema,
  RecordingSettingsSchema,
  RetentionSettingsSchema,
} from '../../accounts/number-settings.js';
import { Errors } from '../../platform/errors.js';
import { customerScope, ownerFilter, principalOf } from '../scope.js';
import { NoContent, Uuid, errorResponses } from '../schemas.js';
import type { ApiModule } from '../types.js';

const NumberOut = Type.Object({
  e164: E164,
  customerId: Uuid,
  region: Type.String(),
  country: Type.String(),
  status: NumberStatusSchema,
  voice: VoiceSettingsSchema,
  messaging: MessagingSettingsSchema,
  recording: RecordingSettingsSchema,
  retention: RetentionSettingsSchema,
  version: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const numberOut = (n: NumberRecord) => ({
  e164: n.e164,
  customerId: n.customerId,
  region: n.region,
  country: n.country,
  status: n.status,
  voice: n.voice,
  messaging: n.messaging,
  recording: n.recording,
  retention: n.retention,
  version: n.version,
  createdAt: n.createdAt.toISOString(),
  updatedAt: n.updatedAt.toISOString(),
});

const Settings = {
  voice: Type.Optional(VoiceSettingsSchema),
  messaging: Type.Optional(MessagingSettingsSchema),
  recording: Type.Optional(RecordingSettingsSchema),
  retention: Type.Optional(RetentionSettingsSchema),
};

const CreateBody = Type.Object(
  {
    e164: E164,
    customerId: Type.Optional(Uuid),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
    status: Type.Optional(NumberStatusSchema),
    ...Settings,
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  { status: Type.Optional(NumberStatusSchema), ...Settings },
  { additionalProperties: false, minProperties: 1 },
);

const E164Params = Type.Object({ e164: E164 });

export function numbersRoutes(accounts: AccountsService): ApiModule {
  return {
    name: 'numbers',
    register(app) {
      app.post(
        '/v1/numbers',
        { schema: { tags: ['numbers'], body: CreateBody, response: { 201: NumberOut, ...errorResponses } } },
        async (req, reply) => {
          const by = principalOf(req);
          const { customerId, status, country, ...settings } = req.body;
          if (status && by.kind !== 'operator')
            throw Errors.forbidden("only operators set a number's status");
          const created = await accounts.createNumber(by, customerScope(req, customerId), {
            e164: req.body.e164,
            status: status ?? 'active',
            ...(country ? { country } : {}),
            voice: settings.voice ?? { destinations: [], strategy: 'sequential' },
            messaging: settings.messaging ?? { keepContent: false },
            recording: settings.recording ?? { enabled: false, channels: 2 },
            retention: settings.retention ?? { policy: '30d' },
          });
          return reply.status(201).send(numberOut(created));
        },
      );

      app.get(
        '/v1/numbers',
        {
          schema: {
            tags: ['numbers'],
            querystring: Type.Object(
              {
                customerId: Type.Optional(Uuid),
                limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
                cursor: Type.Optional(E164),
              },
              { additionalProperties: false },
            ),
            response: {
              200: Type.Object({ items: Type.Array(NumberOut), next: Type.Optional(Type.String()) }),
              ...errorResponses,
            },
          },
        },
        async (req) => {
          const items = await accounts.listNumbers(
            customerScope(req, req.query.customerId),
            req.query.cursor,
            req.query.limit,
          );
          const last = items.length === req.query.limit ? items[items.length - 1] : undefined;
          return { items: items.map(numberOut), ...(last ? { next: last.e164 } : {}) };
        },
      );

      app.get(
        '/v1/numbers/:e164',
        {
          schema: { tags: ['numbers'], params: E164Params, response: { 200: NumberOut, ...errorResponses } },
        },
        async (req) => numberOut(await accounts.getNumber(ownerFilter(req), req.params.e164)),
      );

      app.patch(
        '/v1/numbers/:e164',
        {
          schema: {
            tags: ['numbers'],
            params: E164Params,
            body: PatchBody,
            response: { 200: NumberOut, ...errorResponses },
          },
        },
        async (req) => {
          const by = principalOf(req);
          if (req.body.status && by.kind !== 'operator')
            throw Errors.forbidden("only operators set a number's status");
          return numberOut(await accounts.updateNumber(by, ownerFilter(req), req.params.e164, req.body));
        },
      );

      app.delete(
        '/v1/numbers/:e164',
        { schema: { tags: ['numbers'], params: E164Params, response: { ...NoContent, ...errorResponses } } },
        async (req, reply) => {
          await accounts.deleteNumber(principalOf(req), ownerFilter(req), req.params.e164);
          return reply.status(204).send();
        },
      );
    },
  };
}
