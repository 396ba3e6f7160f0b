// Reading Prometheus text exposition (what /metrics serves) and the catalogue tables of
// docs/metrics.md, for the tests that hold them against each other.
import { readFileSync } from 'node:fs';

export interface Family {
  name: string;
  type: string;
  /** Label sets of its samples, `le`/`quantile` removed (one per series, histograms counted once). */
  series: Map<string, Record<string, string>>;
  labelNames: Set<string>;
}

const SUFFIXES = ['_bucket', '_sum', '_count'];

/** Families from `# TYPE` lines, with the distinct label sets of their samples. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      families.set(type[1]!, { name: type[1]!, type: type[2]!, series: new Map(), labelNames: new Set() });
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!sample) throw new Error(`unparsable exposition line: ${line}`);
    const family = familyOf(families, sample[1]!);
    if (!family) throw new Error(`sample without a TYPE line: ${line}`);
    const labels = parseLabels(sample[2] ?? '');
    delete labels.le;
    delete labels.quantile;
    for (const k of Object.keys(labels)) family.labelNames.add(k);
    family.series.set(JSON.stringify(Object.entries(labels).sort()), labels);
  }
  return families;
}

function familyOf(families: Map<string, Family>, sampleName: string): Family | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const s of SUFFIXES)
    if (sampleName.endsWith(s)) {
      const f = families.get(sampleName.slice(0, -s.length));
      if (f) return f;
    }
  return undefined;
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]!] = m[2]!;
  return out;
}

export interface CatalogueRow {
  section: string;
  owner: string;
  name: string;
  type: string;
  labels: string[];
  meaning: string;
}

/** Rows of every `| name | type | labels | meaning |` table in docs/metrics.md. */
export function parseCatalogue(file = new URL('../../../docs/metrics.md', import.meta.url)): CatalogueRow[] {
  const rows: CatalogueRow[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  // The owner of a section is its `<!-- rows: name -->` marker, wherever it sits in the section.
  const owners = new Map<string, string>();
  let section = '';
  for (const raw of lines) {
    const line = raw.trim();
    const heading = /^##\s+(.*)$/.exec(line);
    if (heading) section = heading[1]!;
    const marker = /^<!-- rows: (\S+) -->$/.exec(line);
    if (marker) owners.set(section, marker[1]!);
  }
  section = '';
  for (const raw of lines) {
    const line = raw.trim();
    const heading = /^##\s+(.*)$/.exec(line);
    if (heading) {
      section = heading[1]!;
      continue;
    }
    const owner = owners.get(section) ?? '';
    if (!line.startsWith('|')) continue;
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((c) => c.trim().replace(/`/g, ''));
    if (cells.length < 4) continue;
    const [name, type, labels, ...meaning] = cells as [string, string, string, ...string[]];
    if (name === 'name' || /^-+$/.test(name.replace(/:/g, ''))) continue;
    rows.push({
      section,
      owner,
      name,
      type,
      labels:
        labels === '' || labels === '-'
          ? []
          : labels
              .split(',')
              .map((l) => l.trim())
              .filter(Boolean),
      meaning: meaning.join('|'),
    });
  }
  return rows;
}
