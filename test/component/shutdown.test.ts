// Graceful shutdown: SIGTERM stops intake, flushes the records pipeline and exits 0.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { startTestApp } from '../support/app.js';
import { createDatabase } from '../support/services.js';
import { secret, tempDir } from '../support/config.js';
import { addCustomer, makeCdr } from '../support/records.js';
import { CDR } from '../../src/records/index.js';
import { waitFor } from '../support/wait.js';

const root = path.resolve(import.meta.dirname, '../..');

t.test('stop() flushes records still queued in memory before closing the databases', async (t) => {
  const control = await createDatabase(t, 'control');
  const noam = await createDatabase(t, 'noam');
  const db = (url: string) => ({
    url: secret(url),
    poolSize: 2,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 10_000,
  });
  const app = await startTestApp(t, {
    databases: { control: db(control.url), regions: { NOAM: db(noam.url) } },
    records: { flushIntervalMs: 60_000, batchMaxRows: 10_000 },
    crypto: { urlSigningKey: secret(Buffer.alloc(32, 1).toString('base64')) },
  });
  const customer = await addCustomer(app.stores, 'NOAM');
  const cdrs = Array.from({ length: 300 }, () => makeCdr(customer));
  // Queued, not yet written: the batch interval is a minute.
  const pending = cdrs.map((c) => app.records.write(CDR, c));
  await app.stop();
  await Promise.all(pending);
  const check = new pg.Client({ connectionString: noam.url });
  await check.connect();
  const { rows } = await check.query('SELECT count(*)::int AS n FROM cdrs WHERE customer_id = $1', [
    customer,
  ]);
  await check.end();
  t.equal(rows[0].n, 300);
});

t.test('SIGTERM: the daemon stops cleanly and exits 0', async (t) => {
  const dataDir = tempDir(t, 'daemon');
  const child = spawn(process.execPath, [path.join(root, 'dist/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      ROUTING__API__PORT: '0',
      ROUTING__EDGE__ENABLED: 'false',
      ROUTING__EMBEDDED__DATA_DIR: dataDir,
      ROUTING__EMBEDDED__SEED_DEMO: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  t.teardown(() => child.kill('SIGKILL'));
  await waitFor(() => out.includes('"msg":"ready"'), { timeoutMs: 60_000, message: 'daemon ready' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.equal(await exited, 0);
  t.match(out, /"step":"records"/);
  t.match(out, /"msg":"stopped"/);
});
