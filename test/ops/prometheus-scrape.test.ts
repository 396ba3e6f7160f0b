// A real Prometheus (the Debian package's binary) scrapes a daemon that has carried traffic, with the
// alert rules loaded: every metric a dashboard panel or an alert expression names has series there,
// and every rule loads and evaluates without error. No dashboard or alert refers to a metric that
// does not exist.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadedDaemon } from './support/traffic.js';
import { references, alertRules } from './support/promql.js';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/config.js';
import { waitFor } from '../support/wait.js';

// A daemon, calls through sipp and messages through an SMSC: slow on a shared machine.
t.setTimeout(600_000);

const rulesFile = fileURLToPath(new URL('../../deploy/prometheus/alerts.yaml', import.meta.url));

interface PromResponse<T> {
  status: string;
  data: T;
  error?: string;
}

async function startPrometheus(t: Test, target: string) {
  const dir = tempDir(t, 'prom');
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(rulesFile)}`,
    'scrape_configs:',
    '  - job_name: routing-core',
    '    honor_labels: true',
    '    static_configs:',
    `      - targets: [${JSON.stringify(target)}]`,
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  mkdirSync(path.join(dir, 'data'));
  const output: string[] = [];
  const child = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('error', (err) =>
    output.push(`spawn error: ${err.message} (install the Debian package prometheus)`),
  );
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const base = `http://127.0.0.1:${port}`;
  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${base}${p}`);
    const body = (await res.json()) as PromResponse<T>;
    if (body.status !== 'success') throw new Error(`${p}: ${body.error ?? res.status}`);
    return body.data;
  };
  return { api, output, exited };
}

t.test('Prometheus scrapes the daemon: every metric of the dashboards and alerts has series', async (t) => {
  const { app } = await loadedDaemon(t);
  const target = new URL(app.apiUrl).host;
  const prom = await startPrometheus(t, target);

  type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  await waitFor(
    async () => {
      const data = await prom.api<Vector>(
        `/api/v1/query?query=${encodeURIComponent('up{job="routing-core"} == 1')}`,
      );
      return data.result.length === 1;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 500,
      message: `a successful scrape of ${target} (${prom.output.join('')})`,
    },
  );
  // A second scrape after the first: rate() and increase() need two samples.
  await new Promise((r) => setTimeout(r, 2500));

  const refs = references();
  const metrics = [...new Set(refs.map((r) => r.metric))].sort();
  t.ok(metrics.length > 30, `${metrics.length} distinct metrics referenced`);
  for (const metric of metrics) {
    const data = await prom.api<Vector>(`/api/v1/query?query=${encodeURIComponent(`count(${metric})`)}`);
    const count = Number(data.result[0]?.value[1] ?? 0);
    const users = refs
      .filter((r) => r.metric === metric)
      .map((r) => r.where)
      .slice(0, 3)
      .join('; ');
    t.ok(count > 0, `${metric}: ${count} series in Prometheus (used by ${users})`);
  }

  // Every panel and alert expression is valid PromQL for this Prometheus and evaluates.
  for (const expr of new Set(refs.map((r) => r.expr))) {
    const data = await prom
      .api<Vector>(`/api/v1/query?query=${encodeURIComponent(expr)}`)
      .catch((err: Error) => err);
    t.notOk(data instanceof Error, `evaluates: ${expr}${data instanceof Error ? ` (${data.message})` : ''}`);
  }

  // The alert rules loaded into Prometheus, and every one evaluated without error.
  type Rules = { groups: { rules: { name: string; type: string; health: string; lastError?: string }[] }[] };
  const expected = alertRules().map((r) => r.alert ?? r.record);
  const loaded = await waitFor(
    async () => {
      const data = await prom.api<Rules>('/api/v1/rules');
      const rules = data.groups.flatMap((g) => g.rules);
      return rules.length === expected.length && rules.every((r) => r.health !== 'unknown')
        ? rules
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, message: 'every rule evaluated once' },
  );
  t.same(loaded.map((r) => r.name).sort(), [...expected].sort(), 'every rule of alerts.yaml is loaded');
  for (const r of loaded) t.equal(r.health, 'ok', `${r.name} evaluates (${r.lastError ?? 'no error'})`);
});
