// Grafana dashboards and alert rules against the metrics catalogue: every metric a panel or an alert
// names is a catalogued metric (and so, by test/ops/metrics-catalogue.test.ts, on /metrics); the
// JSON files are what scripts/dashboards.ts generates; provisioning points at them.
import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { parse } from 'yaml';
import { renderAll } from '../../scripts/dashboards.js';
import { parseCatalogue } from './support/exposition.js';
import { dashboardFiles, metricNames, references, familyName, SYNTHETIC } from './support/promql.js';

const root = new URL('../../', import.meta.url);

t.test('metricNames reads names, not functions, labels or keywords', async (t) => {
  t.same(
    metricNames(
      'histogram_quantile(0.99, sum by (le, db) (rate(db_query_duration_seconds_bucket{job="x",op="query"}[5m]))) > 0.25',
    ),
    ['db_query_duration_seconds_bucket'],
  );
  t.same(
    metricNames('sum(rate(a_total{s="5xx"}[5m])) / sum(rate(a_total[5m])) > 0.05 and on (instance) b == 1'),
    ['a_total', 'b'],
  );
  t.same(metricNames('up{job="routing-core"} == 0'), ['up']);
  t.same(metricNames('max by (kind) (x_seconds offset 5m) > 1e3'), ['x_seconds']);
});

t.test('the dashboard files are generated from scripts/dashboards.ts (make dashboards)', async (t) => {
  const rendered = renderAll();
  const files = dashboardFiles().map((d) => d.file);
  t.same(files, Object.keys(rendered).sort(), 'one file per dashboard');
  for (const [file, text] of Object.entries(rendered))
    t.equal(
      readFileSync(new URL(`deploy/grafana/dashboards/${file}`, root), 'utf8'),
      text,
      `${file} is current`,
    );
});

t.test('dashboards: the four boards, unique uids, every panel on the provisioned datasource', async (t) => {
  const boards = dashboardFiles();
  const uids = boards.map((b) => (b.json as unknown as { uid: string }).uid);
  t.equal(new Set(uids).size, uids.length, 'unique uids');
  for (const required of ['rc-overview', 'rc-carriers', 'rc-messaging', 'rc-platform'])
    t.ok(uids.includes(required), `${required} exists`);
  const ds = parse(
    readFileSync(new URL('deploy/grafana/provisioning/datasources/prometheus.yaml', root), 'utf8'),
  ) as { datasources: { uid: string }[] };
  const dsUid = ds.datasources[0]!.uid;
  for (const { file, json } of boards) {
    const panels = json.panels.filter((p) => (p as { type?: string }).type !== 'row');
    t.ok(panels.length >= 6, `${file}: ${panels.length} panels`);
    for (const p of panels) {
      t.ok(p.targets?.length, `${file}: ${p.title} has a query`);
      t.equal(
        (p as unknown as { datasource: { uid: string } }).datasource.uid,
        dsUid,
        `${file}: ${p.title} datasource`,
      );
    }
  }
  const providers = parse(
    readFileSync(new URL('deploy/grafana/provisioning/dashboards/routing-core.yaml', root), 'utf8'),
  ) as { providers: { options: { path: string } }[] };
  t.equal(
    providers.providers[0]!.options.path,
    '/var/lib/grafana/dashboards',
    'provider path (compose mount)',
  );
  t.ok(existsSync(new URL('deploy/grafana/dashboards/', root)));
});

t.test('every metric a panel or an alert names is in the catalogue', async (t) => {
  const rows = parseCatalogue();
  const catalogued = new Set(rows.map((r) => r.name));
  const histograms = new Set(rows.filter((r) => r.type === 'histogram').map((r) => r.name));
  const refs = references();
  t.ok(refs.length > 40, `${refs.length} references`);
  for (const ref of refs) {
    if (SYNTHETIC.has(ref.metric)) continue;
    const family = familyName(ref.metric, histograms);
    t.ok(catalogued.has(family), `${ref.where}: ${ref.metric} is catalogued`);
    if (ref.metric !== family) t.ok(histograms.has(family), `${ref.metric}: suffix of a histogram`);
  }
});
