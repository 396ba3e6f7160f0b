// The alert rules: promtool checks them and runs their unit tests (deploy/prometheus/alerts.test.yaml),
// every alert has a runbook and a severity, and every alert has a test where it fires and one where
// it stays silent. promtool comes from the Debian package `prometheus` (make system-deps).
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';

const dir = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));

function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (err && err.code === 'ENOENT')
        resolve({ code: -1, out: 'promtool not found: run make system-deps' });
      else resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (
  parse(readFileSync(path.join(dir, 'alerts.yaml'), 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);

t.test('promtool check rules', async (t) => {
  const { code, out } = await promtool('check', 'rules', 'alerts.yaml');
  t.equal(code, 0, out);
  t.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

t.test('promtool test rules: every alert unit test passes', async (t) => {
  const { code, out } = await promtool('test', 'rules', 'alerts.test.yaml');
  t.equal(code, 0, out);
  t.match(out, /SUCCESS/);
});

t.test('promtool check config: the compose Prometheus configuration', async (t) => {
  const { code, out } = await promtool('check', 'config', 'prometheus.yml');
  t.equal(code, 0, out);
});

t.test('every alert has a runbook, a summary and a severity', async (t) => {
  t.ok(alerts.length >= 10, `${alerts.length} alerts`);
  for (const a of alerts) {
    t.ok((a.annotations?.runbook ?? '').length > 20, `${a.alert}: runbook line`);
    t.ok(a.annotations?.summary, `${a.alert}: summary`);
    t.ok(['critical', 'warning'].includes(a.labels?.severity ?? ''), `${a.alert}: severity`);
  }
});

t.test('every alert is tested firing and silent', async (t) => {
  const tests = parse(readFileSync(path.join(dir, 'alerts.test.yaml'), 'utf8')) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
  };
  const cases = tests.tests.flatMap((x) => x.alert_rule_test ?? []);
  for (const a of alerts) {
    const mine = cases.filter((c) => c.alertname === a.alert);
    t.ok(
      mine.some((c) => (c.exp_alerts ?? []).length > 0),
      `${a.alert}: a case where it fires`,
    );
    t.ok(
      mine.some((c) => (c.exp_alerts ?? []).length === 0),
      `${a.alert}: a case where it stays silent`,
    );
  }
  const names = new Set(alerts.map((a) => a.alert));
  for (const c of cases) t.ok(names.has(c.alertname), `test case names an existing alert: ${c.alertname}`);
});
