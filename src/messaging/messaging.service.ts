// The messaging facade the API uses: reads of MDRs with their content and deliveries, content
// deletion, signing keys, and SMPP binds for operators. Sending lives in outbound.ts.
import type { Region } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { Envelope, UrlSigner } from '../crypto/index.js';
import type { InvalidationBus } from '../cache/invalidation.js';
import { type Principal, actorName } from '../accounts/actor.js';
import { auditControl, auditCustomer } from '../accounts/audit.repo.js';
import { Errors } from '../platform/errors.js';
import type { ContentDeleter } from '../content/content-deleter.js';
import { markForCustomer } from '../content/content.repo.js';
import { mediaItems, messageBodyContext } from '../content/content-refs.js';
import type { OutboundService } from './outbound.js';
import type { InboundService } from './inbound.js';
import type { Deliveries } from './deliveries.js';
import type { BindPool } from './smpp/bind-pool.js';
import { insertBind, type NewBind } from './binds.js';

export interface MessagingServiceDeps {
  router: RegionRouter;
  control: Db;
  bus: InvalidationBus;
  envelope: Envelope;
  signer: UrlSigner;
  deleter: ContentDeleter;
  linkTtlSeconds: number;
  publicBaseUrl: () => string;
  outbound: OutboundService;
  inbound: InboundService;
  deliveries: Deliveries;
  pool: BindPool;
}

type Row = Record<string, unknown>;

const mdrOut = (r: Row) => ({
  id: r.id,
  customerId: r.customer_id,
  direction: r.direction,
  from: r.sender,
  to: r.recipient,
  createdAt: (r.created_at as Date).toISOString(),
  status: r.status,
  errorCode: r.error_code ?? null,
  parts: r.parts,
  encoding: r.encoding ?? null,
  aggregator: r.carrier ?? null,
  media: r.media ?? null,
  submittedAt: r.submitted_at ? (r.submitted_at as Date).toISOString() : null,
  doneAt: r.done_at ? (r.done_at as Date).toISOString() : null,
  possibleDuplicate: r.possible_duplicate,
  incomplete: r.incomplete,
});

export class MessagingService {
  constructor(private readonly d: MessagingServiceDeps) {}

  get outbound(): OutboundService {
    return this.d.outbound;
  }
  get inbound(): InboundService {
    return this.d.inbound;
  }
  get pool(): BindPool {
    return this.d.pool;
  }

  signingKeyOf(customerId: string): string {
    return this.d.deliveries.signingKeyOf(customerId);
  }

  async list(
    customerId: string,
    f: { direction?: string; from?: Date; to?: Date; limit: number },
  ): Promise<unknown[]> {
    const { db } = await this.d.router.forCustomer(customerId);
    const { rows } = await db.query(
      `SELECT * FROM mdrs WHERE customer_id = $1 AND ($2::text IS NULL OR direction = $2)
         AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
       ORDER BY created_at DESC, id LIMIT $5`,
      [customerId, f.direction ?? null, f.from ?? null, f.to ?? null, f.limit],
    );
    return rows.map(mdrOut);
  }

  async #locate(owner: string | undefined, id: string): Promise<{ row: Row; db: Db; region: Region }> {
    const dbs = owner
      ? [await this.d.router.forCustomer(owner)]
      : await Promise.all(
          this.d.router
            .distinctDatabases()
            .map(async ({ db, regions }) => ({ db, region: regions[0] as Region })),
        );
    for (const { db, region } of dbs) {
      const { rows } = await db.query(
        'SELECT * FROM mdrs WHERE id = $1 AND ($2::uuid IS NULL OR customer_id = $2::uuid) LIMIT 1',
        [id, owner ?? null],
      );
      const row = rows[0];
      if (row) {
        const r = (await this.d.router.regionOfCustomer(String(row.customer_id))) ?? region;
        return { row, db, region: r };
      }
    }
    throw Errors.notFound('message');
  }

  async get(by: Principal, owner: string | undefined, id: string): Promise<Row> {
    const { row, db, region } = await this.#locate(owner, id);
    const customerId = String(row.customer_id);
    const { rows: content } = await db.query<{
      body_enc: Buffer | null;
      media: unknown;
      deleted_at: Date | null;
    }>('SELECT body_enc, media, deleted_at FROM message_content WHERE message_id = $1', [id]);
    const c = content[0];
    const live = c && !c.deleted_at;
    const text =
      live && c.body_enc
        ? (await this.d.envelope.open(c.body_enc, messageBodyContext(id))).toString('utf8')
        : null;
    const media = live
      ? mediaItems(c.media).map((m, i) => ({
          index: i,
          mimeType: m.mimeType,
          size: m.size,
          url: `${this.d.publicBaseUrl()}/v1/content-links?token=${this.d.signer.sign(
            { kind: 'media', region, id: `${id}/${i}` },
            this.d.linkTtlSeconds,
          )}`,
        }))
      : [];
    const { rows: deliveries } = await db.query(
      `SELECT channel, event, state, attempts, last_error, created_at, delivered_at FROM message_outbox
        WHERE message_id = $1 ORDER BY created_at, channel`,
      [id],
    );
    await auditCustomer(db, customerId, {
      actor: actorName(by),
      action: 'message.get',
      resource: 'message',
      resourceId: id,
    });
    return {
      ...mdrOut(row),
      text,
      contentDeleted: Boolean(c?.deleted_at),
      mediaLinks: media,
      deliveries: deliveries.map((d) => ({
        channel: d.channel,
        event: d.event,
        state: d.state,
        attempts: d.attempts,
        lastError: d.last_error ?? null,
        deliveredAt: d.delivered_at ? (d.delivered_at as Date).toISOString() : null,
      })),
    };
  }

  async deleteContent(by: Principal, owner: string | undefined, id: string): Promise<void> {
    const { row, db } = await this.#locate(owner, id);
    const customerId = String(row.customer_id);
    const reason = by.kind === 'operator' ? 'operator' : 'customer';
    const marked = await db.tx(async (q) => {
      const m = await markForCustomer(q, 'message_content', customerId, [id], reason, new Date());
      await auditCustomer(q, customerId, {
        actor: actorName(by),
        action: 'message.content.delete',
        resource: 'message',
        resourceId: id,
      });
      return m;
    });
    await this.d.deleter.finish(db, 'message_content', marked, 'tombstone');
  }

  async deliveries(customerId: string, state: string, limit: number): Promise<unknown[]> {
    const { db } = await this.d.router.forCustomer(customerId);
    const { rows } = await db.query(
      `SELECT id, message_id, channel, event, target, state, attempts, last_error, created_at, delivered_at
         FROM message_outbox WHERE customer_id = $1 AND state = $2 ORDER BY created_at DESC LIMIT $3`,
      [customerId, state, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      messageId: r.message_id,
      channel: r.channel,
      event: r.event,
      target: r.target,
      state: r.state,
      attempts: r.attempts,
      lastError: r.last_error ?? null,
      createdAt: (r.created_at as Date).toISOString(),
    }));
  }

  async createBind(by: Principal, b: NewBind): Promise<string> {
    let id = '';
    try {
      await this.d.control.tx(async (q) => {
        id = await insertBind(q, this.d.envelope, b);
        await auditControl(q, {
          actor: actorName(by),
          action: 'smpp-bind.create',
          resource: 'smpp-bind',
          resourceId: id,
          details: { name: b.name, host: b.host, port: b.port },
        });
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '23505') throw Errors.conflict('an SMPP bind with that name exists');
      if (code === '23503') throw Errors.notFound('carrier');
      throw err;
    }
    await this.d.bus.publish({ type: 'plan' });
    return id;
  }
}
