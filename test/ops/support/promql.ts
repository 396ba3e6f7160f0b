// The metric names a PromQL expression reads, and every expression of the dashboards and alert rules,
// so the tests can hold them against the catalogue and against a real Prometheus.
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** Metric names in an expression: identifiers that are not functions, keywords, labels or durations. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\[[^\]]*\]/g, ' '); // ranges and subqueries
  const names = new Set<string>();
  const re = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
  for (let m = re.exec(stripped); m; m = re.exec(stripped)) {
    const after = stripped.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(')) continue; // a function or aggregation
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    const before = stripped[m.index - 1];
    if (before && /[0-9.]/.test(before)) continue; // 5m, 1e3
    names.add(m[0]);
  }
  return [...names];
}

export interface Reference {
  metric: string;
  where: string;
  expr: string;
}

const root = new URL('../../../', import.meta.url);

interface DashboardJson {
  title: string;
  panels: { title: string; targets?: { expr: string }[] }[];
}

export function dashboardFiles(): { file: string; json: DashboardJson }[] {
  const dir = new URL('deploy/grafana/dashboards/', root);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as DashboardJson }));
}

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
}

export function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(new URL('deploy/prometheus/alerts.yaml', root), 'utf8')) as {
    groups: { rules: AlertRule[] }[];
  };
  return doc.groups.flatMap((g) => g.rules);
}

/** Every metric named by a dashboard panel or an alert expression, with where it is used. */
export function references(): Reference[] {
  const out: Reference[] = [];
  for (const { file, json } of dashboardFiles())
    for (const p of json.panels)
      for (const target of p.targets ?? [])
        for (const metric of metricNames(target.expr))
          out.push({ metric, where: `${file}: ${p.title}`, expr: target.expr });
  for (const rule of alertRules())
    for (const metric of metricNames(rule.expr))
      out.push({ metric, where: `alerts.yaml: ${rule.alert ?? rule.record}`, expr: rule.expr });
  return out;
}

/** Metrics Prometheus makes itself (not on /metrics). */
export const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

/** The family a sample name belongs to: histogram series map to their histogram. */
export function familyName(metric: string, histograms: Set<string>): string {
  for (const suffix of ['_bucket', '_sum', '_count'])
    if (metric.endsWith(suffix) && histograms.has(metric.slice(0, -suffix.length)))
      return metric.slice(0, -suffix.length);
  return metric;
}
