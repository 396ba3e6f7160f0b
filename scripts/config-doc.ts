// Writes docs/configuration.md from the schema: every key with its type, default, environment
// variable and doc line. `--check` exits 1 when the file is out of date (a test runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema } from '../src/config/schema.js';
import { ENV_PREFIX } from '../src/config/load.js';

const out = path.resolve(import.meta.dirname, '../docs/configuration.md');

interface Row {
  key: string;
  type: string;
  def: string;
  env: string;
  doc: string;
}

function typeOf(s: Record<string, unknown>): string {
  if (s['x-secret']) return 'secret';
  if (Array.isArray(s.anyOf)) {
    const lits = (s.anyOf as Record<string, unknown>[]).map((x) => x.const).filter((x) => x !== undefined);
    if (lits.length) return lits.map((l) => JSON.stringify(l)).join(' \\| ');
  }
  if (s.type === 'array') return `${typeOf(s.items as Record<string, unknown>)}[]`;
  return String(s.type ?? 'value');
}

function envName(key: string): string {
  return (
    ENV_PREFIX +
    key
      .split('.')
      .map((k) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
      .join('__')
  );
}

function walk(schema: TSchema, prefix: string, rows: Row[]): void {
  const s = schema as Record<string, unknown>;
  const props = s.properties as Record<string, TSchema> | undefined;
  if (s.type === 'object' && props && !s['x-secret']) {
    if (prefix && s.description)
      rows.push({ key: prefix, type: 'section', def: '', env: '', doc: String(s.description) });
    for (const [k, sub] of Object.entries(props)) walk(sub, prefix ? `${prefix}.${k}` : k, rows);
    return;
  }
  const def =
    s.default === undefined ? (s['x-secret'] ? '(none: required when used)' : '') : JSON.stringify(s.default);
  rows.push({
    key: prefix,
    type: typeOf(s),
    def,
    env: s.type === 'array' || s.type === 'object' ? '' : envName(prefix),
    doc: String(s.description ?? ''),
  });
}

const rows: Row[] = [];
walk(ConfigSchema, '', rows);
const text = [
  '# Configuration',
  '',
  'Generated from `src/config/schema.ts` by `node --import=tsx scripts/config-doc.ts`; do not edit by hand.',
  '',
  'The daemon reads `config/default.yaml`, then the files named in `ROUTING_CONFIG` (comma-separated, later wins),',
  'then environment variables `ROUTING__SECTION__KEY=value` (values read as YAML scalars). A secret is written',
  '`env:NAME` or `file:/path` and is never logged. A bad configuration stops the start with exit code 2 and one line',
  'naming the key and what was expected.',
  '',
  '| key | type | default | environment | meaning |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((r) =>
    r.type === 'section'
      ? `| **${r.key}** | | | | ${r.doc} |`
      : `| \`${r.key}\` | ${r.type} | ${r.def ? `\`${r.def}\`` : ''} | ${r.env ? `\`${r.env}\`` : ''} | ${r.doc.replaceAll('|', '\\|')} |`,
  ),
  '',
].join('\n');

if (process.argv.includes('--check')) {
  const current = readFileSync(out, 'utf8');
  if (current !== text) {
    console.error('docs/configuration.md is out of date: run node --import=tsx scripts/config-doc.ts');
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
}
