// docs/metrics.md against a real scrape: a daemon on real PostgreSQL and Redis carries traffic (see
// support/traffic.ts), then every catalogue row must be a family on /metrics with its type and labels,
// every family on /metrics must have a row, and no family may have an id-like or unbounded label.
import t from 'tap';
import { loadedDaemon, scrape } from './support/traffic.js';
import { parseCatalogue, parseExposition } from './support/exposition.js';

// A daemon, calls through sipp and messages through an SMSC: slow on a shared machine.
t.setTimeout(600_000);

/** Labels that would carry an id or a number: never allowed, whatever their values. */
const FORBIDDEN_LABELS = [
  'number',
  'e164',
  'call_id',
  'callid',
  'message_id',
  'customer_id',
  'customer',
  'to',
  'from',
  'caller',
  'callee',
  'id',
  'uri',
  'key',
];
/** Series per family (histogram buckets counted once) above which a label is not a bounded set. */
const MAX_SERIES_PER_FAMILY = 200;

const rows = parseCatalogue();

t.test('the catalogue is well formed', async (t) => {
  t.ok(rows.length > 50, `catalogue has rows (${rows.length})`);
  const seen = new Set<string>();
  for (const row of rows) {
    t.notOk(seen.has(row.name), `${row.name} listed once`);
    seen.add(row.name);
    t.ok(
      ['counter', 'gauge', 'histogram', 'summary'].includes(row.type),
      `${row.name}: known type ${row.type}`,
    );
    t.match(row.name, /^[a-z][a-z0-9_]*$/, `${row.name}: snake case`);
    if (row.type === 'counter') t.match(row.name, /_total$/, `${row.name}: a counter ends in _total`);
    if (row.type === 'histogram')
      t.match(row.name, /_(seconds|bytes|rows|ratio)$/, `${row.name}: a histogram is in base units`);
    t.notMatch(row.name, /_(ms|milliseconds|kb|mb)(_|$)/, `${row.name}: base units only`);
    t.ok(row.meaning.length > 5, `${row.name}: has a meaning`);
    for (const label of row.labels)
      t.notOk(FORBIDDEN_LABELS.includes(label), `${row.name}: label ${label} allowed`);
    t.ok(row.owner, `${row.name}: under a section marker`);
  }
});

t.test('the catalogue and a scrape after traffic agree', async (t) => {
  const { app } = await loadedDaemon(t);
  const families = parseExposition(await scrape(app));
  const byName = new Map(rows.map((r) => [r.name, r]));

  for (const row of rows) {
    const family = families.get(row.name);
    if (!t.ok(family, `catalogue row ${row.name} (${row.section}) is exported`)) continue;
    t.equal(family!.type, row.type, `${row.name}: type`);
    // A labelled family may have no series yet (no event of that kind): its family must still be
    // there (checked above); its labels are checked wherever it has series.
    if (family!.series.size > 0) {
      const exported = [...family!.labelNames].filter((l) => l !== 'instance').sort();
      t.same(exported, [...row.labels].sort(), `${row.name}: labels`);
    }
  }
  for (const family of families.values()) {
    t.ok(byName.has(family.name), `exported family ${family.name} has a catalogue row`);
    for (const label of family.labelNames)
      t.notOk(FORBIDDEN_LABELS.includes(label), `${family.name}: label ${label} is not id-like`);
    t.ok(
      family.series.size <= MAX_SERIES_PER_FAMILY,
      `${family.name}: ${family.series.size} series (bounded labels)`,
    );
    for (const labels of family.series.values())
      for (const [k, v] of Object.entries(labels))
        t.notMatch(
          v,
          /^\+?\d{7,}$|^[0-9a-f]{8}-[0-9a-f]{4}-/i,
          `${family.name}: ${k}="${v}" is no number or id`,
        );
  }
  t.equal(families.get('build_info')?.series.size, 1, 'one build_info series');
  t.ok(families.get('shared_state_duration_seconds')?.series.size, 'Redis latency observed');
  t.ok(families.get('db_query_duration_seconds')?.series.size, 'database latency observed');
  t.ok(families.get('records_durable_seconds')?.series.size, 'records pipeline observed');
});
