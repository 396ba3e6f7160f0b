// Deletes the objects of marked content and finishes the rows (content.repo.ts explains the steps).
// Used by the API's delete, the customer erase and the sweeper alike.
import type { Region } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { RegionRouter } from '../store/region-router.js';
import type { ObjectStore } from '../objects/index.js';
import { type ContentKind, type MarkedContent, purgeRows, tombstoneRows } from './content.repo.js';

export interface DeleterHooks {
  /** Runs after a batch's objects are deleted and before its rows are finished (fault injection in tests). */
  beforeRowsFinished?(kind: ContentKind, ids: string[]): Promise<void> | void;
}

/** Runs fn over items with at most `limit` in flight; rejects with the first error after all settle. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

export class ContentDeleter {
  constructor(
    private readonly router: RegionRouter,
    private readonly objects: ObjectStore,
    private readonly concurrency: number,
    private readonly hooks: DeleterHooks = {},
  ) {}

  /** The region whose store holds a customer's objects (its billing region). */
  async #region(customerId: string): Promise<Region> {
    const region = await this.router.regionOfCustomer(customerId);
    if (!region) throw new Error(`customer ${customerId} has no region in the directory`);
    return region;
  }

  /** Deletes every object of the batch (bounded concurrency); throws if any deletion failed. */
  async deleteObjects(batch: readonly MarkedContent[]): Promise<number> {
    const work: { region: Region; key: string }[] = [];
    for (const item of batch) {
      const region = await this.#region(item.customerId);
      for (const key of item.objectKeys) work.push({ region, key });
    }
    await mapLimit(work, this.concurrency, ({ region, key }) => this.objects.delete(region, key));
    return work.length;
  }

  /**
   * Steps 2 and 3 for one batch: objects, then rows. Rows are finished only when every object of
   * the batch is gone, so a row never stops referencing an object that still exists.
   */
  async finish(db: Db, kind: ContentKind, batch: readonly MarkedContent[], mode: 'purge' | 'tombstone') {
    if (batch.length === 0) return { objects: 0, rows: 0 };
    const objects = await this.deleteObjects(batch);
    const ids = batch.map((b) => b.id);
    await this.hooks.beforeRowsFinished?.(kind, ids);
    const rows = mode === 'purge' ? await purgeRows(db, kind, ids) : await tombstoneRows(db, kind, ids);
    return { objects, rows };
  }
}
