// Reads the recorded FreeSWITCH transcripts (test/fixtures/freeswitch-esl/*.txt) into frames, and
// normalises frames (uuids, paths, lengths) so that a run against the stand-in can be compared.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'fixtures',
  'freeswitch-esl',
);

export interface TranscriptFrame {
  /** 'in' (inbound connection) or 'out#N'. */
  conn: string;
  dir: 'app->FS' | 'FS->app';
  summarised: boolean;
  bytes: string;
}

const MARKER = /^=== \[\+\s*[\d.]+s\] (ESL-in|ESL-out#\d+)[^\n]*? (app->FS|FS->app) \((\d+) bytes\)(.*)===$/;

export function readTranscript(name: string): TranscriptFrame[] {
  const text = readFileSync(path.join(FIXTURES, name), 'latin1');
  const frames: TranscriptFrame[] = [];
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) break;
    const line = text.slice(i, nl);
    const m = MARKER.exec(line);
    i = nl + 1;
    if (!m) continue;
    const n = Number(m[3]);
    const summarised = /SUMMARISED/.test(m[4] ?? '');
    const bytes = summarised ? '' : text.slice(i, i + n);
    if (!summarised) i += n;
    frames.push({
      conn: m[1] === 'ESL-in' ? 'in' : `out${(m[1] as string).slice(7)}`,
      dir: m[2] as 'app->FS' | 'FS->app',
      summarised,
      bytes,
    });
  }
  return frames;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** A command frame with uuids and file paths replaced, so two runs compare equal. */
export function normaliseCommand(bytes: string): string {
  return bytes
    .replace(UUID, '<uuid>')
    .replace(/(record_session\n?.*?execute-app-arg: )\S+/s, '$1<path>')
    .replace(/\/\S+\.wav/g, '<path>');
}

/** The header names of a reply frame, in order (values vary; names and order must not). */
export function headerNames(bytes: string): string[] {
  const head = bytes.split('\n\n')[0] ?? '';
  return head
    .split('\n')
    .filter((l) => l.includes(': '))
    .map((l) => l.slice(0, l.indexOf(':')));
}
