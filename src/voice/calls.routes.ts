// GET /v1/calls/{id} (the CDR) and GET /v1/calls/{id}/trace (the SIP trace; ?format=svg for a
// ladder diagram). Customer keys see their own calls only (anything else is 404); operator keys
// look in every region this deployment serves.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../platform/errors.js';
import { ownerFilter } from '../api/scope.js';
import { Uuid, errorResponses } from '../api/schemas.js';
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
