// Writes one benchmark's figures into its own section of bench/RESULTS.md, so benchmarks can be
// rerun one at a time without touching each other's figures. A section is delimited by
// <!-- bench:NAME --> and <!-- /bench:NAME -->; it is replaced when present, appended otherwise.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const resultsFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'RESULTS.md');

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const memGiB = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${os.cpus().length} × ${cpu}, ${memGiB} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export function writeSection(name: string, command: string, body: string): void {
  const header =
    `\n<!-- bench:${name} -->\n` +
    `### ${name}\n\n` +
    `Measured ${new Date().toISOString()} with \`${command}\` on ${machineLine()}.\n\n`;
  const section = `${header}${body.trim()}\n<!-- /bench:${name} -->\n`;
  const intro =
    '# Benchmark results\n\nEach section is rewritten by its benchmark (`make bench`, or `make bench BENCH=<name>`).\n';
  let text = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : intro;
  const start = text.indexOf(`\n<!-- bench:${name} -->\n`);
  const endMarker = `<!-- /bench:${name} -->\n`;
  const end = text.indexOf(endMarker);
  if (start >= 0 && end > start) {
    text = text.slice(0, start) + section + text.slice(end + endMarker.length);
  } else {
    text = text.trimEnd() + '\n' + section;
  }
  writeFileSync(resultsFile, text);
}

/** Markdown table from rows of cells; the first row is the header. */
export function table(rows: (string | number)[][]): string {
  const [head, ...rest] = rows;
  if (!head) return '';
  const line = (r: (string | number)[]) => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rest.map(line)].join('\n');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}
