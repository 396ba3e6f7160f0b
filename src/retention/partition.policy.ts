// Which CDR/MDR partitions to create, export and drop. Pure: the sweeper gives the clock, the
// partitions that exist and the configuration; this says what to do.
//
// Privacy policy §6: "CDRs and SMS/MMS metadata: typically 12 months online, longer in cold storage
// where required by local telecom regulations". A monthly partition is dropped once every row in it
// is older than onlineMonths (its month ended onlineMonths ago). If some country's regulation keeps
// records longer, and that longer period has not ended for this month, the partition's rows of those
// countries are exported to cold storage first, kept until the longest of those periods ends.
import { addMonths, monthStart } from '../store/partitions.js';

export interface PartitionRef {
  table: string;
  /** First instant of the month (UTC). */
  month: Date;
}

export interface CountryRetention {
  country: string;
  /** Months kept in all (online, then cold). */
  months: number;
}

export interface PartitionPolicy {
  aheadMonths: number;
  onlineMonths: number;
  countries: readonly CountryRetention[];
}

export interface PartitionDrop extends PartitionRef {
  /** Present when rows must go to cold storage before the drop. */
  export?: { countries: string[]; keepUntil: Date };
}

export interface PartitionPlan {
  create: PartitionRef[];
  drop: PartitionDrop[];
}

export function planPartitions(
  now: Date,
  tables: readonly string[],
  existing: readonly PartitionRef[],
  policy: PartitionPolicy,
): PartitionPlan {
  const has = new Set(existing.map((p) => `${p.table}:${p.month.getTime()}`));
  const current = monthStart(now);
  const create: PartitionRef[] = [];
  for (const table of tables)
    for (let i = 0; i <= policy.aheadMonths; i++) {
      const month = addMonths(current, i);
      if (!has.has(`${table}:${month.getTime()}`)) create.push({ table, month });
    }

  const drop: PartitionDrop[] = [];
  for (const p of existing) {
    // The month's last row is from just before addMonths(month, 1); it must stay online that long.
    if (addMonths(p.month, 1 + policy.onlineMonths).getTime() > now.getTime()) continue;
    const longer = policy.countries.filter(
      (c) => c.months > policy.onlineMonths && addMonths(p.month, 1 + c.months).getTime() > now.getTime(),
    );
    if (longer.length === 0) {
      drop.push({ table: p.table, month: p.month });
      continue;
    }
    const keepUntil = new Date(Math.max(...longer.map((c) => addMonths(p.month, 1 + c.months).getTime())));
    drop.push({
      table: p.table,
      month: p.month,
      export: { countries: longer.map((c) => c.country).sort(), keepUntil },
    });
  }
  drop.sort((a, b) => a.month.getTime() - b.month.getTime() || a.table.localeCompare(b.table));
  return { create, drop };
}
