// Inbound MMS from aggregators over HTTP: a multipart/form-data POST (fields from, to, text; one file
// part per media item) to /v1/inbound/mms/<carrier id>, authenticated per aggregator with a bearer
// token whose SHA-256 (hex) is the carrier's settings.sms.mmsTokenSha256. Media are sealed into the
// customer's region object store before the message is recorded; the MDR holds their size and type.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { ApiModule } from '../api/types.js';
import type { FeatureContext } from '../feature.js';
import { Errors } from '../platform/errors.js';
import { errorResponses, Uuid } from '../api/schemas.js';
import { mediaContext, mediaKey } from '../content/content-refs.js';
import { toE164 } from './inbound.js';
import type { MessagingService } from './messaging.service.js';
import type { MessagingMetrics } from './metrics.js';

const MIME =
  /^(image\/(jpeg|png|gif|webp|bmp)|video\/(mp4|3gpp|quicktime)|audio\/(mpeg|amr|ogg|mp4|wav)|text\/(plain|vcard|x-vcard)|application\/smil)$/;
const MAX_MEDIA = 10;

function tokenMatches(expectedHex: unknown, header: string | undefined): boolean {
  if (typeof expectedHex !== 'string' || !/^[0-9a-f]{64}$/.test(expectedHex)) return false;
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const given = createHash('sha256')
    .update(m[1] as string)
    .digest();
  return timingSafeEqual(given, Buffer.from(expectedHex, 'hex'));
}

export function mmsRoutes(svc: MessagingService, ctx: FeatureContext, m: MessagingMetrics): ApiModule {
  const maxBytes = ctx.config.messaging.mms.maxBytes;
  return {
    name: 'mms-inbound',
    async register(app) {
      await app.register(multipart, {
        limits: { fileSize: maxBytes, files: MAX_MEDIA, fields: 10, fieldSize: 8192 },
      });
      app.post(
        '/v1/inbound/mms/:carrierId',
        {
          config: { auth: 'public' },
          bodyLimit: maxBytes + 64 * 1024,
          schema: {
            tags: ['messaging'],
            description: 'Inbound MMS from an aggregator (multipart/form-data: from, to, text, media files)',
            params: Type.Object({ carrierId: Uuid }),
            response: { 200: Type.Object({ id: Uuid }), ...errorResponses },
          },
        },
        async (req) => {
          const carrier = ctx.plan.snapshot.carriers.get(req.params.carrierId);
          if (!carrier || !tokenMatches(carrier.settings.sms?.mmsTokenSha256, req.headers.authorization)) {
            m.rejected.inc({ direction: 'inbound', reason: 'mms_auth' });
            req.log.warn(
              { carrierId: req.params.carrierId },
              'inbound MMS refused: bad aggregator credentials',
            );
            throw Errors.unauthenticated('unknown aggregator or bad token');
          }
          if (!req.isMultipart()) throw Errors.validation('expected multipart/form-data');
          const fields: Record<string, string> = {};
          const files: { data: Buffer; mimeType: string; filename: string }[] = [];
          let total = 0;
          for await (const part of req.parts()) {
            if (part.type === 'field') {
              fields[part.fieldname] = String(part.value);
              continue;
            }
            const data = await part.toBuffer();
            if (part.file.truncated) throw Errors.validation(`media larger than ${maxBytes} bytes`);
            if (!MIME.test(part.mimetype))
              throw Errors.validation(`media type ${part.mimetype} is not accepted`);
            total += data.length;
            if (total > maxBytes) throw Errors.validation(`MMS larger than ${maxBytes} bytes`);
            files.push({ data, mimeType: part.mimetype, filename: (part.filename || 'media').slice(0, 100) });
          }
          const to = toE164(fields.to ?? '');
          const from = toE164(fields.from ?? '');
          if (!to || !from) throw Errors.validation('from and to must be E.164 numbers');
          const entry = ctx.numbers.get(to);
          if (!entry || entry.status !== 'active') {
            m.rejected.inc({ direction: 'inbound', reason: 'unknown_number' });
            throw Errors.notFound('number');
          }
          const { region } = await ctx.stores.router.forCustomer(entry.customerId);
          const id = randomUUID();
          const stored: {
            index: number;
            objectKey: string;
            size: number;
            mimeType: string;
            filename: string;
          }[] = [];
          try {
            for (const [index, f] of files.entries()) {
              const key = mediaKey(entry.customerId, id, index);
              await ctx.objects.put(
                region,
                key,
                await ctx.envelope.seal(region, f.data, mediaContext(id, key)),
              );
              stored.push({
                index,
                objectKey: key,
                size: f.data.length,
                mimeType: f.mimeType,
                filename: f.filename,
              });
            }
            await svc.inbound.record({
              id,
              entry,
              sender: from,
              text: fields.text ?? '',
              parts: 1,
              encoding: 'mms',
              carrier: carrier.name,
              media: stored,
            });
          } catch (err) {
            // Not recorded: remove what was stored so nothing is left without an owner row.
            for (const s of stored) await ctx.objects.delete(region, s.objectKey).catch(() => undefined);
            throw err;
          }
          return { id };
        },
      );
    },
  };
}
