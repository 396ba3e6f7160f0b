// The customer's content controls: recordings (list, fetch, download, signed links, delete), the
// customer content erase, and applying a number's retention policy to content already stored.
// Every call is audited in the customer's region, in the transaction of the change it describes.
// Another customer's content answers 404, exactly as content that does not exist.
import type { Readable } from 'node:stream';
import type { Region } from '../config/index.js';
import type { Db, Queryable } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { Envelope, UrlSigner } from '../crypto/index.js';
import { MAX_HEADER_BYTES } from '../crypto/index.js';
import type { ObjectStore } from '../objects/index.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import { type Principal, actorName } from '../accounts/actor.js';
import { auditCustomer, type AuditEntry } from '../accounts/audit.repo.js';
import { Errors } from '../platform/errors.js';
import { contentRetentionMs } from '../retention/expiry.policy.js';
import type { ContentDeleter } from './content-deleter.js';
import { CONTENT_KINDS, type ContentKind, markForCustomer, pendingDeletions } from './content.repo.js';
import { findRecording, listRecordings, type Recording, type RecordingFilter } from './recordings.repo.js';
import { mediaContext, mediaItems, recordingContext } from './content-refs.js';

export interface ContentDeps {
  router: RegionRouter;
  objects: ObjectStore;
  envelope: Envelope;
  signer: UrlSigner;
  accounts: AccountsService;
  deleter: ContentDeleter;
  safetyBufferHours: number;
  linkTtlSeconds: number;
  batchSize: number;
  now?: () => Date;
}

export interface OpenedContent {
  stream: Readable;
  size: number;
  mimeType: string;
  filename: string;
}

const EXTENSIONS: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'video/mp4': 'mp4',
  'text/plain': 'txt',
};
export const extensionOf = (mime: string) => EXTENSIONS[mime] ?? 'bin';

export class ContentService {
  readonly #now: () => Date;

  constructor(private readonly deps: ContentDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  async #audited<T>(
    db: Db,
    by: Principal,
    customerId: string,
    e: Omit<AuditEntry, 'actor'>,
    fn: (q: Queryable) => Promise<T>,
  ): Promise<T> {
    return db.tx(async (q) => {
      const out = await fn(q);
      await auditCustomer(q, customerId, { actor: actorName(by), ...e });
      return out;
    });
  }

  async #audit(by: Principal, customerId: string, e: Omit<AuditEntry, 'actor'>): Promise<void> {
    const { db } = await this.deps.router.forCustomer(customerId);
    await auditCustomer(db, customerId, { actor: actorName(by), ...e });
  }

  /**
   * A recording visible to `owner` (undefined: an operator, who may see any). Operators without a
   * customer look in every served region's database.
   */
  async #locate(owner: string | undefined, id: string): Promise<{ rec: Recording; region: Region; db: Db }> {
    const { router } = this.deps;
    if (owner) {
      const { region, db } = await router.forCustomer(owner);
      const rec = await findRecording(db, id, owner);
      if (rec) return { rec, region, db };
      throw Errors.notFound('recording');
    }
    for (const { db } of router.distinctDatabases()) {
      const rec = await findRecording(db, id, undefined);
      if (rec) {
        const region = await router.regionOfCustomer(rec.customerId);
        if (region) return { rec, region, db };
      }
    }
    throw Errors.notFound('recording');
  }

  async listRecordings(by: Principal, filter: RecordingFilter): Promise<Recording[]> {
    const { db } = await this.deps.router.forCustomer(filter.customerId);
    const items = await listRecordings(db, filter);
    await this.#audit(by, filter.customerId, {
      action: 'recording.list',
      resource: 'recording',
      details: { number: filter.number ?? null, count: items.length },
    });
    return items;
  }

  async getRecording(by: Principal, owner: string | undefined, id: string): Promise<Recording> {
    const { rec } = await this.#locate(owner, id);
    await this.#audit(by, rec.customerId, { action: 'recording.get', resource: 'recording', resourceId: id });
    return rec;
  }

  /** The decrypted audio of a live recording, as a stream with its length. */
  async openRecording(
    by: Principal | undefined,
    owner: string | undefined,
    id: string,
  ): Promise<OpenedContent> {
    const { rec, region } = await this.#locate(owner, id);
    if (rec.deletedAt || !rec.objectKey) throw Errors.notFound('recording');
    const opened = await this.#openObject(
      region,
      rec.objectKey,
      recordingContext(rec.id),
      rec.mimeType,
      `${rec.id}.${extensionOf(rec.mimeType)}`,
    );
    if (by)
      await this.#audit(by, rec.customerId, {
        action: 'recording.download',
        resource: 'recording',
        resourceId: id,
      });
    return opened;
  }

  async #openObject(region: Region, key: string, context: string, mimeType: string, filename: string) {
    const { objects, envelope } = this.deps;
    const total = await objects.size(region, key);
    if (total === undefined) throw Errors.notFound('content');
    const head = await objects.getRange(region, key, 0, MAX_HEADER_BYTES);
    const size = envelope.plaintextSize(head, total);
    const source = await objects.getStream(region, key);
    const stream = source.pipe(envelope.openStream(context));
    source.on('error', (err) => stream.destroy(err));
    return { stream, size, mimeType, filename };
  }

  /** A short-lived link our API serves (decrypting on the way out); audited when issued. */
  async linkRecording(
    by: Principal,
    owner: string | undefined,
    id: string,
  ): Promise<{ token: string; expiresAt: Date }> {
    const { rec, region } = await this.#locate(owner, id);
    if (rec.deletedAt || !rec.objectKey) throw Errors.notFound('recording');
    const now = this.#now();
    const token = this.deps.signer.sign(
      { kind: 'recording', region, id },
      this.deps.linkTtlSeconds,
      now.getTime(),
    );
    await this.#audit(by, rec.customerId, {
      action: 'recording.link',
      resource: 'recording',
      resourceId: id,
    });
    return { token, expiresAt: new Date(now.getTime() + this.deps.linkTtlSeconds * 1000) };
  }

  /** Opens what a signed link names; anything invalid, expired or deleted is 404. */
  async openLink(token: string): Promise<OpenedContent> {
    const link = this.deps.signer.verify(token, this.#now().getTime());
    if (!link || !this.deps.router.isServed(link.region as Region)) throw Errors.notFound('content');
    const region = link.region as Region;
    const db = this.deps.router.region(region);
    if (link.kind === 'recording') {
      const rec = await findRecording(db, link.id, undefined);
      if (!rec || rec.deletedAt || !rec.objectKey) throw Errors.notFound('content');
      return this.#openObject(
        region,
        rec.objectKey,
        recordingContext(rec.id),
        rec.mimeType,
        `${rec.id}.${extensionOf(rec.mimeType)}`,
      );
    }
    if (link.kind === 'media') {
      // id "<messageId>/<index>": one media item of a message.
      const [messageId, index] = link.id.split('/');
      const { rows } = await db.query<{ media: unknown; deleted_at: Date | null }>(
        'SELECT media, deleted_at FROM message_content WHERE message_id = $1',
        [messageId],
      );
      const row = rows[0];
      const item = row && !row.deleted_at ? mediaItems(row.media)[Number(index)] : undefined;
      if (!item || !messageId) throw Errors.notFound('content');
      return this.#openObject(
        region,
        item.objectKey,
        mediaContext(messageId, item.objectKey),
        item.mimeType,
        `${messageId}-${index}.${extensionOf(item.mimeType)}`,
      );
    }
    throw Errors.notFound('content');
  }

  /**
   * Deletes a recording now: marked with the audit record in one transaction (so it is gone to every
   * reader and the record says the customer deleted it), then its object, then the reference.
   */
  async deleteRecording(by: Principal, owner: string | undefined, id: string): Promise<void> {
    const { rec, db } = await this.#locate(owner, id);
    const reason = by.kind === 'operator' ? 'operator' : 'customer';
    const marked = await this.#audited(
      db,
      by,
      rec.customerId,
      { action: 'recording.delete', resource: 'recording', resourceId: id },
      (q) => markForCustomer(q, 'recording', rec.customerId, [id], reason, this.#now()),
    );
    // Deleted before but cut short (object still referenced): finish that deletion now.
    const pending =
      rec.deletedAt && rec.objectKey ? [{ id, customerId: rec.customerId, objectKeys: [rec.objectKey] }] : [];
    await this.deps.deleter.finish(db, 'recording', marked.length ? marked : pending, 'tombstone');
  }

  /**
   * The customer content erase: every recording and message content of the customer is deleted
   * (reason "erase"); CDRs, MDRs and SIP traces stay for their legal period. Marking happens in one
   * transaction with the audit record; objects are then deleted in batches. A crash part-way leaves
   * marked rows the sweeper finishes.
   */
  async eraseContent(by: Principal, customerId: string): Promise<Record<ContentKind, number>> {
    const { db } = await this.deps.router.forCustomer(customerId);
    const now = this.#now();
    const counts = await this.#audited(
      db,
      by,
      customerId,
      { action: 'content.erase', resource: 'customer', resourceId: customerId },
      async (q) => {
        const out = { recording: 0, message_content: 0 } as Record<ContentKind, number>;
        for (const kind of CONTENT_KINDS)
          out[kind] = (await markForCustomer(q, kind, customerId, undefined, 'erase', now)).length;
        return out;
      },
    );
    for (const kind of CONTENT_KINDS)
      for (;;) {
        const batch = await pendingDeletions(db, kind, this.deps.batchSize, customerId);
        if (batch.length === 0) break;
        await this.deps.deleter.finish(db, kind, batch, 'tombstone');
      }
    return counts;
  }

  /**
   * Applies a number's current retention policy to content already stored for it: each live item's
   * expiry becomes its creation time plus the policy (and buffer). Shortening it can make content
   * due at once; the next sweep deletes it.
   */
  async applyRetention(
    by: Principal,
    owner: string | undefined,
    e164: string,
  ): Promise<Record<ContentKind, number>> {
    const n = await this.deps.accounts.getNumber(owner, e164);
    const db = this.deps.router.region(n.region);
    const secs = contentRetentionMs(n.retention, this.deps.safetyBufferHours) / 1000;
    return this.#audited(
      db,
      by,
      n.customerId,
      {
        action: 'number.retention.apply',
        resource: 'number',
        resourceId: e164,
        details: { retention: n.retention },
      },
      async (q) => {
        const rec = await q.query(
          `UPDATE recordings SET expires_at = created_at + make_interval(secs => $3)
         WHERE customer_id = $1 AND number = $2 AND deleted_at IS NULL`,
          [n.customerId, e164, secs],
        );
        // Messages belong to a number through their MDR: the recipient of inbound, the sender of outbound.
        const msg = await q.query(
          `UPDATE message_content SET expires_at = created_at + make_interval(secs => $3)
         WHERE customer_id = $1 AND deleted_at IS NULL AND message_id IN (
           SELECT id FROM mdrs WHERE customer_id = $1
             AND ((direction = 'inbound' AND recipient = $2) OR (direction = 'outbound' AND sender = $2)))`,
          [n.customerId, e164, secs],
        );
        return { recording: rec.rowCount, message_content: msg.rowCount };
      },
    );
  }
}
