// GET /v1/calls/{id} (the CDR) and GET /v1/calls/{id}/trace (the SIP trace; ?format=svg for a
// ladder diagram). Customer keys see their own calls only (anything else is 404); operator keys
// look in every region this deployment serves.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../platform/errors.js';
import { ownerFilter } from '../api/scope.js';
import { Uuid, errorResponses } from '../api/schemas.js';
import { E164 } from '../accounts/number-settings.js';
import type { ApiModule } from '../api/types.js';
import type { RegionRouter } from '../store/region-router.js';
import type { Db } from '../store/db.js';
import type { TraceMessage } from '../records/index.js';
import { ladderSvg } from './trace-ladder.js';

const IdParams = Type.Object({ id: Uuid });

const CallOut = Type.Object({
  id: Uuid,
  customerId: Uuid,
  direction: Type.String(),
  calling: Type.Union([Type.String(), Type.Null()]),
  called: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String(),
  answeredAt: Type.Union([Type.String(), Type.Null()]),
  endedAt: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  pddMs: Type.Union([Type.Integer(), Type.Null()]),
  disposition: Type.String(),
  finalStatus: Type.Union([Type.Integer(), Type.Null()]),
  hangupBy: Type.Union([Type.String(), Type.Null()]),
  endReason: Type.Union([Type.String(), Type.Null()]),
  carrier: Type.Union([Type.String(), Type.Null()]),
  sbc: Type.Union([Type.String(), Type.Null()]),
  sbcRegion: Type.Union([Type.String(), Type.Null()]),
  route: Type.Unknown(),
  attempts: Type.Array(Type.Unknown()),
  recording: Type.Unknown(),
});

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row mapped field by field
function toCall(r: any) {
  return {
    id: r.id,
    customerId: r.customer_id,
    direction: r.direction,
    calling: r.calling,
    called: r.called,
    startedAt: iso(r.started_at) as string,
    answeredAt: iso(r.answered_at),
    endedAt: iso(r.ended_at),
    durationMs: r.duration_ms,
    pddMs: r.pdd_ms,
    disposition: r.disposition,
    finalStatus: r.final_status,
    hangupBy: r.hangup_by,
    endReason: r.end_reason,
    carrier: r.carrier,
    sbc: r.sbc,
    sbcRegion: r.sbc_region,
    route: r.route,
    attempts: r.attempts,
    recording: r.recording,
  };
}

// Pages are cut on (started_at, id), newest first, so calls sharing a start time are never skipped.
function encodeCursor(t: Date, id: string): string {
  return Buffer.from(JSON.stringify({ t: new Date(t).toISOString(), id })).toString('base64url');
}

function decodeCursor(cursor: string): { t: Date; id: string } {
  try {
    const { t, id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      t: string;
      id: string;
    };
    const at = new Date(t);
    if (Number.isNaN(+at) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad');
    return { t: at, id };
  } catch {
    throw Errors.badRequest('BAD_CURSOR', 'cursor is not a `next` value from this API');
  }
}

const ListQuery = Type.Object(
  {
    number: Type.Optional(E164),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'calls started at or after' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page' })),
    customerId: Type.Optional(Uuid),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  },
  { additionalProperties: false },
);

/** The databases to look in: the customer's region, or every one for an operator. */
async function databases(router: RegionRouter, req: FastifyRequest): Promise<{ db: Db; owner?: string }[]> {
  const owner = ownerFilter(req);
  if (owner) {
    const { db } = await router.forCustomer(owner).catch(() => {
      throw Errors.notFound('call');
    });
    return [{ db, owner }];
  }
  return router.distinctDatabases().map(({ db }) => ({ db }));
}

async function findOne<T>(
  router: RegionRouter,
  req: FastifyRequest,
  sql: (ownerParam: boolean) => string,
  id: string,
): Promise<T> {
  for (const { db, owner } of await databases(router, req)) {
    const { rows } = await db.query(sql(!!owner), owner ? [id, owner] : [id]);
    if (rows[0]) return rows[0] as T;
  }
  throw Errors.notFound('call');
}

export function callsRoutes(router: RegionRouter): ApiModule {
  return {
    name: 'calls',
    register(app) {
      // Newest first, one page at a time: `next` is the `before` of the following page. An operator
      // key may name a customer or look across every region (each region's newest, merged).
      app.get(
        '/v1/calls',
        {
          schema: {
            tags: ['calls'],
            querystring: ListQuery,
            response: {
              200: Type.Object({
                calls: Type.Array(CallOut),
                next: Type.Union([Type.String(), Type.Null()]),
              }),
              ...errorResponses,
            },
          },
        },
        async (req) => {
          const q = req.query;
          const after = q.cursor ? decodeCursor(q.cursor) : undefined;
          const scope = ownerFilter(req) ?? q.customerId;
          const targets = scope
            ? [{ db: (await router.forCustomer(scope).catch(() => ({ db: null }))).db, owner: scope }]
            : router.distinctDatabases().map(({ db }) => ({ db, owner: undefined }));
          const rows: Record<string, unknown>[] = [];
          for (const { db, owner } of targets) {
            if (!db) continue;
            const where: string[] = [];
            const params: unknown[] = [];
            const add = (sql: string, v: unknown) => {
              params.push(v);
              where.push(sql.replaceAll('?', `$${params.length}`));
            };
            if (owner) add('customer_id = ?', owner);
            if (q.number) add('(called = ? OR calling = ?)', q.number);
            if (q.since) add('started_at >= ?', new Date(q.since));
            if (after) {
              add('started_at <= ?', after.t);
              where.push(`(started_at < $${params.length} OR id < $${params.length + 1})`);
              params.push(after.id);
            }
            params.push(q.limit);
            const { rows: got } = await db.query(
              `SELECT * FROM cdrs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
               ORDER BY started_at DESC, id DESC LIMIT $${params.length}`,
              params,
            );
            rows.push(...(got as Record<string, unknown>[]));
          }
          rows.sort(
            (a, b) =>
              +new Date(b.started_at as Date) - +new Date(a.started_at as Date) ||
              String(b.id).localeCompare(String(a.id)),
          );
          const page = rows.slice(0, q.limit);
          const last = page[page.length - 1];
          return {
            calls: page.map(toCall),
            next:
              rows.length >= q.limit && last ? encodeCursor(last.started_at as Date, String(last.id)) : null,
          };
        },
      );

      app.get(
        '/v1/calls/:id',
        { schema: { tags: ['calls'], params: IdParams, response: { 200: CallOut, ...errorResponses } } },
        async (req) => {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row mapped field by field
          const r = await findOne<any>(
            router,
            req,
            (o) => `SELECT * FROM cdrs WHERE id = $1${o ? ' AND customer_id = $2' : ''} LIMIT 1`,
            req.params.id,
          );
          return toCall(r);
        },
      );

      app.get(
        '/v1/calls/:id/trace',
        {
          schema: {
            tags: ['calls'],
            params: IdParams,
            querystring: Type.Object(
              { format: Type.Union([Type.Literal('json'), Type.Literal('svg')], { default: 'json' }) },
              { additionalProperties: false },
            ),
            response: errorResponses,
          },
        },
        async (req, reply) => {
          const r = await findOne<{
            call_id: string;
            created_at: Date;
            expires_at: Date;
            messages: TraceMessage[];
          }>(
            router,
            req,
            (o) =>
              `SELECT call_id, created_at, expires_at, messages FROM sip_traces WHERE call_id = $1${o ? ' AND customer_id = $2' : ''}`,
            req.params.id,
          );
          if (req.query.format === 'svg')
            return reply.type('image/svg+xml').send(ladderSvg(r.messages, `call ${r.call_id}`));
          return reply.send({
            callId: r.call_id,
            createdAt: iso(r.created_at),
            expiresAt: iso(r.expires_at),
            messages: r.messages,
          });
        },
      );
    },
  };
}
