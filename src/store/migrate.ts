// Applies the SQL files of a migration set (control or region) in file-name order, each once, each in
// its own transaction with its bookkeeping row. Two instances starting together serialise on an
// advisory lock. A file changed after it was applied stops the start: migrations are append-only.
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

export type MigrationSet = 'control' | 'region';

export const MIGRATIONS_ROOT = fileURLToPath(new URL('../../migrations/', import.meta.url));

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(set: MigrationSet, root = MIGRATIONS_ROOT): MigrationFile[] {
  const dir = `${root}/${set}`;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => {
      const sql = readFileSync(`${dir}/${name}`, 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16) };
    });
}

const LOCK_KEY = 4_242_001;

/** Returns the names of the files applied by this call. */
export async function migrate(db: Db, set: MigrationSet, files = readMigrations(set)): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    set_name text NOT NULL, name text NOT NULL, checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (set_name, name))`);
  const applied: string[] = [];
  for (const file of files) {
    const done = await db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const { rows } = await q.query<{ checksum: string }>(
        'SELECT checksum FROM schema_migrations WHERE set_name = $1 AND name = $2',
        [set, file.name],
      );
      const existing = rows[0];
      if (existing) {
        if (existing.checksum !== file.checksum) {
          throw new MigrationError(
            `migration ${set}/${file.name} was changed after it was applied to ${db.label}`,
          );
        }
        return false;
      }
      await q.exec(file.sql);
      await q.query('INSERT INTO schema_migrations (set_name, name, checksum) VALUES ($1, $2, $3)', [
        set,
        file.name,
        file.checksum,
      ]);
      return true;
    });
    if (done) applied.push(file.name);
  }
  return applied;
}
