// Drain without calls: POST /admin/drain (operator keys only) and SIGTERM run the lifecycle stop;
// readiness turns 503 at once, in-flight work finishes (or is cut at shutdown.graceMs), and the daemon
// process exits 0 by itself. The call-level drain (two instances on one edge, sipp) is in
// test/ops/drain-calls.test.ts.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startTestApp, call } from '../support/app.js';
import { tempDir } from '../support/config.js';
import { waitFor } from '../support/wait.js';
import type { Feature } from '../../src/feature.js';

const root = path.resolve(import.meta.dirname, '../..');

// Two daemon processes start and stop here: slow on a shared machine.
t.setTimeout(600_000);

/** A feature with work in flight: its drain step ends when the test says so or the grace bound cuts it. */
function inflight() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const seen: { aborted?: boolean; order: string[] } = { order: [] };
  const feature: Feature = {
    name: 'inflight',
    async start(ctx) {
      ctx.lifecycle.onStop('intake', 'inflight-intake', () => void seen.order.push('intake'));
      ctx.lifecycle.onStop('drain', 'inflight-work', async (signal) => {
        seen.order.push('drain');
        await Promise.race([
          released,
          new Promise((r) => signal.addEventListener('abort', r, { once: true })),
        ]);
        seen.aborted = signal.aborted;
      });
      ctx.lifecycle.onStop('flush', 'inflight-flush', () => void seen.order.push('flush'));
      return {};
    },
  };
  return { feature, release, seen };
}

async function features() {
  const { defaultFeatures } = await import('../../src/app.js');
  return defaultFeatures;
}

t.test('POST /admin/drain: operators only; readiness 503 while work finishes; then stopped', async (t) => {
  const work = inflight();
  const defaults = await features();
  const app = await startTestApp(
    t,
    { shutdown: { graceMs: 120_000 } },
    { seedDemo: true, features: [...defaults({} as never), work.feature] },
  );
  const { operatorKey, customerKey } = app.demo!;

  t.equal((await call(app, 'GET', '/readyz')).status, 200, 'ready before');
  t.equal((await call(app, 'GET', '/admin/drain', operatorKey)).body.state, 'running');
  t.equal((await call(app, 'POST', '/admin/drain')).status, 401, 'no key');
  t.equal((await call(app, 'POST', '/admin/drain', customerKey)).status, 403, 'a customer key may not drain');
  t.equal(app.lifecycle.state, 'running', 'refused requests started nothing');

  const res = await call(app, 'POST', '/admin/drain', operatorKey);
  t.equal(res.status, 202);
  t.equal(res.body.activeCalls, 0, 'voice runs (without an SBC here): no call in progress');
  await waitFor(() => work.seen.order.includes('drain'), { message: 'drain phase reached' });

  const ready = await call(app, 'GET', '/readyz');
  t.equal(ready.status, 503, 'not ready while draining');
  t.equal(ready.body.status, 'draining');
  const status = await call(app, 'GET', '/admin/drain', operatorKey);
  t.equal(status.body.state, 'drain', 'waiting for in-flight work');
  t.type(status.body.drainingForMs, 'number');
  t.match(await (await fetch(`${app.apiUrl}/metrics`)).text(), /^instance_draining\{[^}]*\} 1$/m);
  t.equal((await call(app, 'POST', '/admin/drain', operatorKey)).status, 202, 'a second drain is harmless');

  work.release();
  await app.lifecycle.stopped;
  t.equal(app.lifecycle.state, 'stopped');
  t.same(work.seen.order, ['intake', 'drain', 'flush'], 'phases in order');
  t.equal(work.seen.aborted, false, 'work finished before the bound');
});

t.test('the grace bound cuts a drain that does not finish', async (t) => {
  const work = inflight();
  const defaults = await features();
  const app = await startTestApp(
    t,
    { shutdown: { graceMs: 400 } },
    { seedDemo: true, features: [...defaults({} as never), work.feature] },
  );
  const started = Date.now();
  t.equal((await call(app, 'POST', '/admin/drain', app.demo!.operatorKey)).status, 202);
  await app.lifecycle.stopped;
  t.equal(work.seen.aborted, true, 'the drain step saw the bound');
  t.ok(Date.now() - started >= 400, 'not before the bound');
  t.same(work.seen.order, ['intake', 'drain', 'flush']);
});

function daemon(t: Test) {
  const dataDir = tempDir(t, 'daemon');
  const child = spawn(process.execPath, [path.join(root, 'dist/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      ROUTING__API__PORT: '0',
      ROUTING__EDGE__ENABLED: 'false',
      ROUTING__EMBEDDED__DATA_DIR: dataDir,
      ROUTING__EMBEDDED__SEED_DEMO: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { text: '' };
  child.stdout.on('data', (d) => (out.text += d));
  child.stderr.on('data', (d) => (out.text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => void child.kill('SIGKILL'));
  return { child, out, exited };
}

t.test('the daemon process exits 0 by itself after POST /admin/drain', async (t) => {
  const { out, exited } = daemon(t);
  await waitFor(() => out.text.includes('"msg":"ready"'), { timeoutMs: 90_000, message: 'daemon ready' });
  const key = /operator key: (\S+)/.exec(out.text)?.[1];
  const url = /"url":"(http:[^"]+)"/.exec(out.text)?.[1];
  t.ok(key && url, 'operator key and API url from the start banner');
  const res = await fetch(`${url}/admin/drain`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
  });
  t.equal(res.status, 202);
  t.equal(await exited, 0, 'exit 0');
  t.match(out.text, /"msg":"drain requested over the API"/);
  t.match(out.text, /"step":"records"/, 'records flushed');
  t.match(out.text, /"msg":"stopped"/);
  const logLines = out.text.split('\n').filter((l) => l.startsWith('{'));
  t.notOk(
    logLines.some((l) => l.includes(key!)),
    'the key is in no log line (only in the one-time start banner)',
  );
});

t.test('SIGTERM runs the same drain and exits 0', async (t) => {
  const { child, out, exited } = daemon(t);
  await waitFor(() => out.text.includes('"msg":"ready"'), { timeoutMs: 90_000, message: 'daemon ready' });
  child.kill('SIGTERM');
  t.equal(await exited, 0);
  t.match(out.text, /"step":"drain-state"/);
  t.match(out.text, /"msg":"draining"/);
  t.match(out.text, /"msg":"stopped"/);
});
