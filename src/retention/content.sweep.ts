// Sweeps one database's content: expired rows are marked, their objects deleted, the rows purged;
// deletions left unfinished (a crash, an API delete cut short) are finished. Batches until nothing
// is left or the run is told to stop; returns what it deleted by kind.
import type { Db } from '../store/db.js';
import type { ContentDeleter } from '../content/content-deleter.js';
import { CONTENT_KINDS, type ContentKind, markExpired, pendingDeletions } from '../content/content.repo.js';

export interface ContentSweepDeps {
  deleter: ContentDeleter;
  batchSize: number;
  /** Called after every batch: renews the region's lock; false stops the sweep. */
  keepGoing(): Promise<boolean>;
}

export async function sweepContent(
  db: Db,
  now: Date,
  deps: ContentSweepDeps,
): Promise<Record<ContentKind, number>> {
  const deleted: Record<ContentKind, number> = { recording: 0, message_content: 0 };
  for (const kind of CONTENT_KINDS) {
    // Unfinished deletions first: they are older than anything that expires now.
    for (;;) {
      const batch = await pendingDeletions(db, kind, deps.batchSize);
      if (batch.length === 0) break;
      await deps.deleter.finish(db, kind, batch, 'tombstone');
      if (batch.length < deps.batchSize || !(await deps.keepGoing())) break;
    }
    for (;;) {
      const batch = await markExpired(db, kind, now, deps.batchSize);
      if (batch.length === 0) break;
      const { rows } = await deps.deleter.finish(db, kind, batch, 'purge');
      deleted[kind] += rows;
      if (batch.length < deps.batchSize || !(await deps.keepGoing())) break;
    }
  }
  return deleted;
}
