// Recordings: list (by number, by time), fetch, download (decrypted stream or a short-lived signed
// link), delete. Customer keys see their own recordings only; anything else is 404.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../platform/errors.js';
import { E164 } from '../accounts/number-settings.js';
import { customerScope, ownerFilter, principalOf } from '../api/scope.js';
import { NoContent, Timestamp, Uuid, errorResponses } from '../api/schemas.js';
import type { ApiModule } from '../api/types.js';
import type { ContentService, OpenedContent } from './content.service.js';
import type { Recording } from './recordings.repo.js';

const RecordingOut = Type.Object({
  id: Uuid,
  customerId: Uuid,
  callId: Uuid,
  number: Type.String(),
  startedAt: Type.String(),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  channels: Type.Integer(),
  sizeBytes: Type.Union([Type.Integer(), Type.Null()]),
  mimeType: Type.String(),
  expiresAt: Type.String(),
  deletedAt: Type.Union([Type.String(), Type.Null()]),
  deletedReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

export const recordingOut = (r: Recording) => ({
  id: r.id,
  customerId: r.customerId,
  callId: r.callId,
  number: r.number,
  startedAt: r.startedAt.toISOString(),
  durationMs: r.durationMs,
  channels: r.channels,
  sizeBytes: r.sizeBytes,
  mimeType: r.mimeType,
  expiresAt: r.expiresAt.toISOString(),
  deletedAt: r.deletedAt ? r.deletedAt.toISOString() : null,
  deletedReason: r.deletedReason,
  createdAt: r.createdAt.toISOString(),
});

const IdParams = Type.Object({ id: Uuid });

/** Cursor "<startedAt ISO>_<id>" of the last item of a page. */
function parseCursor(cursor: string | undefined) {
  if (!cursor) return undefined;
  const [at, id] = cursor.split('_');
  const startedAt = new Date(at ?? '');
  if (!id || Number.isNaN(startedAt.getTime())) throw Errors.validation('cursor is not one this API gave');
  return { startedAt, id };
}

export function sendContent(reply: FastifyReply, c: OpenedContent) {
  return reply
    .type(c.mimeType)
    .header('content-length', String(c.size))
    .header('content-disposition', `attachment; filename="${c.filename}"`)
    .header('cache-control', 'no-store')
    .send(c.stream);
}

const baseUrl = (publicBaseUrl: string, req: FastifyRequest) =>
  publicBaseUrl || `${req.protocol}://${req.host}`;

export function recordingsRoutes(content: ContentService, publicBaseUrl: string): ApiModule {
  return {
    name: 'recordings',
    register(app) {
      app.get(
        '/v1/recordings',
        {
          schema: {
            tags: ['recordings'],
            querystring: Type.Object(
              {
                customerId: Type.Optional(Uuid),
                number: Type.Optional(E164),
                from: Type.Optional(Timestamp),
                to: Type.Optional(Timestamp),
                includeDeleted: Type.Boolean({ default: false }),
                limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
                cursor: Type.Optional(Type.String({ maxLength: 100 })),
              },
              { additionalProperties: false },
            ),
            response: {
              200: Type.Object({ items: Type.Array(RecordingOut), next: Type.Optional(Type.String()) }),
              ...errorResponses,
            },
          },
        },
        async (req) => {
          const q = req.query;
          const after = parseCursor(q.cursor);
          const items = await content.listRecordings(principalOf(req), {
            customerId: customerScope(req, q.customerId),
            ...(q.number ? { number: q.number } : {}),
            ...(q.from ? { from: new Date(q.from) } : {}),
            ...(q.to ? { to: new Date(q.to) } : {}),
            includeDeleted: q.includeDeleted,
            ...(after ? { after } : {}),
            limit: q.limit,
          });
          const last = items.length === q.limit ? items[items.length - 1] : undefined;
          return {
            items: items.map(recordingOut),
            ...(last ? { next: `${last.startedAt.toISOString()}_${last.id}` } : {}),
          };
        },
      );

      app.get(
        '/v1/recordings/:id',
        {
          schema: {
            tags: ['recordings'],
            params: IdParams,
            response: { 200: RecordingOut, ...errorResponses },
          },
        },
        async (req) =>
          recordingOut(await content.getRecording(principalOf(req), ownerFilter(req), req.params.id)),
      );

      app.get(
        '/v1/recordings/:id/content',
        { schema: { tags: ['recordings'], params: IdParams, response: errorResponses } },
        async (req, reply) =>
          sendContent(reply, await content.openRecording(principalOf(req), ownerFilter(req), req.params.id)),
      );

      app.post(
        '/v1/recordings/:id/link',
        {
          schema: {
            tags: ['recordings'],
            params: IdParams,
            response: {
              200: Type.Object({ url: Type.String(), expiresAt: Type.String() }),
              ...errorResponses,
            },
          },
        },
        async (req) => {
          const link = await content.linkRecording(principalOf(req), ownerFilter(req), req.params.id);
          return {
            url: `${baseUrl(publicBaseUrl, req)}/v1/content-links?token=${encodeURIComponent(link.token)}`,
            expiresAt: link.expiresAt.toISOString(),
          };
        },
      );

      app.delete(
        '/v1/recordings/:id',
        { schema: { tags: ['recordings'], params: IdParams, response: { ...NoContent, ...errorResponses } } },
        async (req, reply) => {
          await content.deleteRecording(principalOf(req), ownerFilter(req), req.params.id);
          return reply.status(204).send();
        },
      );

      // The link is the credential: no key, a short lifetime, content decrypted on the way out.
      // The token travels in the query (fastify bounds path parameters at 100 characters).
      app.get(
        '/v1/content-links',
        {
          config: { auth: 'public' },
          schema: {
            tags: ['recordings'],
            querystring: Type.Object(
              { token: Type.String({ minLength: 1, maxLength: 2048 }) },
              { additionalProperties: false },
            ),
            response: errorResponses,
          },
        },
        async (req, reply) => sendContent(reply, await content.openLink(req.query.token)),
      );
    },
  };
}
