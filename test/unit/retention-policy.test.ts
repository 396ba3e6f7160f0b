// Retention decisions, table-driven: content expiry, operational expiry, and partition plans.
import t from 'tap';
import { contentExpiresAt, operationalExpiresAt, overdueMs } from '../../src/retention/expiry.policy.js';
import { planPartitions, type PartitionRef } from '../../src/retention/partition.policy.js';
import type { RetentionSettings } from '../../src/accounts/number-settings.js';

const at = (s: string) => new Date(s);

t.test('content expiry: policy days plus the safety buffer', async (t) => {
  const rows: [RetentionSettings, number, string, string][] = [
    [{ policy: '7d' }, 0, '2026-03-01T10:00:00Z', '2026-03-08T10:00:00.000Z'],
    [{ policy: '7d' }, 24, '2026-03-01T10:00:00Z', '2026-03-09T10:00:00.000Z'],
    [{ policy: '30d' }, 24, '2026-01-31T23:59:59Z', '2026-03-03T23:59:59.000Z'],
    [{ policy: '90d' }, 6, '2026-01-01T00:00:00Z', '2026-04-01T06:00:00.000Z'],
    [{ policy: '1y' }, 24, '2028-02-29T12:00:00Z', '2029-03-01T12:00:00.000Z'],
    [{ policy: 'custom', customDays: 45 }, 0, '2026-01-01T00:00:00Z', '2026-02-15T00:00:00.000Z'],
    [{ policy: 'custom', customDays: 1 }, 48, '2026-01-01T00:00:00Z', '2026-01-04T00:00:00.000Z'],
    [{ policy: 'custom' }, 0, '2026-01-01T00:00:00Z', '2026-01-31T00:00:00.000Z'],
  ];
  for (const [retention, buffer, created, expected] of rows)
    t.equal(
      contentExpiresAt(at(created), retention, buffer).toISOString(),
      expected,
      `${JSON.stringify(retention)} +${buffer}h from ${created}`,
    );
  t.throws(() => contentExpiresAt(new Date('x'), { policy: '7d' }, 0), RangeError);
  t.throws(() => contentExpiresAt(at('2026-01-01T00:00:00Z'), { policy: '7d' }, -1), RangeError);
});

t.test('operational expiry stays within 1-90 days', async (t) => {
  t.equal(operationalExpiresAt(at('2026-01-01T00:00:00Z'), 30).toISOString(), '2026-01-31T00:00:00.000Z');
  t.equal(operationalExpiresAt(at('2026-01-01T00:00:00Z'), 90).toISOString(), '2026-04-01T00:00:00.000Z');
  t.throws(() => operationalExpiresAt(at('2026-01-01T00:00:00Z'), 91), RangeError);
  t.throws(() => operationalExpiresAt(at('2026-01-01T00:00:00Z'), 0), RangeError);
});

t.test('overdue age', async (t) => {
  const now = at('2026-01-02T00:00:00Z');
  t.equal(overdueMs(at('2026-01-01T00:00:00Z'), now), 86_400_000);
  t.equal(overdueMs(at('2026-01-03T00:00:00Z'), now), 0);
  t.equal(overdueMs(undefined, now), 0);
});

const months = (table: string, ...ms: string[]): PartitionRef[] =>
  ms.map((m) => ({ table, month: at(`${m}-01T00:00:00Z`) }));
const names = (ps: PartitionRef[]) => ps.map((p) => `${p.table}:${p.month.toISOString().slice(0, 7)}`);

t.test('partitions: created ahead, for every table, only when missing', async (t) => {
  const rows: [string, PartitionRef[], number, string[]][] = [
    [
      '2026-05-15T00:00:00Z',
      [],
      2,
      ['cdrs:2026-05', 'cdrs:2026-06', 'cdrs:2026-07', 'mdrs:2026-05', 'mdrs:2026-06', 'mdrs:2026-07'],
    ],
    [
      '2026-05-15T00:00:00Z',
      [...months('cdrs', '2026-05', '2026-06'), ...months('mdrs', '2026-05')],
      2,
      ['cdrs:2026-07', 'mdrs:2026-06', 'mdrs:2026-07'],
    ],
    ['2026-12-31T23:59:59Z', [], 1, ['cdrs:2026-12', 'cdrs:2027-01', 'mdrs:2026-12', 'mdrs:2027-01']],
    [
      '2026-05-01T00:00:00Z',
      [...months('cdrs', '2026-05', '2026-06'), ...months('mdrs', '2026-05', '2026-06')],
      1,
      [],
    ],
  ];
  for (const [now, existing, ahead, expected] of rows) {
    const plan = planPartitions(at(now), ['cdrs', 'mdrs'], existing, {
      aheadMonths: ahead,
      onlineMonths: 12,
      countries: [],
    });
    t.same(names(plan.create), expected, `${now}, ${existing.length} existing, ${ahead} ahead`);
  }
});

t.test('partitions: dropped once every row is past the online months', async (t) => {
  const existing = months('cdrs', '2025-03', '2025-04', '2025-05', '2026-04');
  const rows: [string, number, string[]][] = [
    ['2026-04-30T23:59:59Z', 12, ['cdrs:2025-03']],
    ['2026-05-01T00:00:00Z', 12, ['cdrs:2025-03', 'cdrs:2025-04']],
    ['2026-06-01T00:00:00Z', 12, ['cdrs:2025-03', 'cdrs:2025-04', 'cdrs:2025-05']],
    ['2026-06-01T00:00:00Z', 13, ['cdrs:2025-03', 'cdrs:2025-04']],
    ['2025-04-01T00:00:00Z', 12, []],
  ];
  for (const [now, online, expected] of rows) {
    const plan = planPartitions(at(now), ['cdrs'], existing, {
      aheadMonths: 0,
      onlineMonths: online,
      countries: [],
    });
    t.same(names(plan.drop), expected, `${now} with ${online} online months`);
    t.ok(
      plan.drop.every((d) => !d.export),
      'no export without a country rule',
    );
  }
});

t.test('partitions: countries that keep longer are exported first, until their period ends', async (t) => {
  const existing = months('mdrs', '2025-01');
  const countries = [
    { country: 'DE', months: 24 },
    { country: 'FR', months: 18 },
    { country: 'US', months: 12 },
  ];
  const rows: [string, { countries: string[]; keepUntil: string } | null][] = [
    ['2026-02-01T00:00:00Z', { countries: ['DE', 'FR'], keepUntil: '2027-02-01T00:00:00.000Z' }],
    ['2026-08-01T00:00:00Z', { countries: ['DE'], keepUntil: '2027-02-01T00:00:00.000Z' }],
    ['2027-02-01T00:00:00Z', null],
  ];
  for (const [now, expected] of rows) {
    const plan = planPartitions(at(now), ['mdrs'], existing, { aheadMonths: 0, onlineMonths: 12, countries });
    t.equal(plan.drop.length, 1, `${now}: dropped`);
    const exp = plan.drop[0]?.export;
    t.same(
      exp ? { countries: exp.countries, keepUntil: exp.keepUntil.toISOString() } : null,
      expected,
      `${now}: export`,
    );
  }
});
