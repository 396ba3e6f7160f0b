// Reading and comparing app-protocol transcripts (the format of test/fixtures/drachtio-wire/):
// frames of `<len>#<payload>` recorded in both directions. Two transcripts are compared by
// structure, not bytes: per direction, frame by frame, the command, the token positions (with
// ids, tags, branches, times, byte counts and ports replaced by symbols), and for the SIP inside
// a frame its start line and its header lines with those values normalised. Bodies are not
// compared. Symbols are assigned in order of first appearance within the server->app stream,
// so a transaction id the app echoes back must be the one the server gave it.

export type Direction = 'app->server' | 'server->app';

export interface Frame {
  readonly direction: Direction;
  /** The payload after `<len>#`, as latin1. */
  readonly payload: string;
}

const MARKER = /^=== \[[^\]]*\] (app->server|server->app)(?: \((\d+) bytes incl\. length prefix\))? ===$/;

export function parseTranscript(text: string): Frame[] {
  const frames: Frame[] = [];
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end);
    pos = end + 1;
    const m = MARKER.exec(line);
    if (!m) continue;
    const hash = text.indexOf('#', pos);
    const length = Number(text.slice(pos, hash));
    frames.push({ direction: m[1] as Direction, payload: text.slice(hash + 1, hash + 1 + length) });
    pos = hash + 1 + length + 1;
  }
  return frames;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIME = /^\d\d:\d\d:\d\d\.\d{6}$/;
const DIALOG = /^(.+);from-tag=(.+)$/;

class Symbols {
  private readonly maps = new Map<string, Map<string, string>>();

  get(kind: string, value: string, create: boolean): string {
    let map = this.maps.get(kind);
    if (!map) {
      map = new Map();
      this.maps.set(kind, map);
    }
    let sym = map.get(value);
    if (!sym) {
      if (!create) return `<unknown ${kind}>`;
      sym = `${kind}${map.size + 1}`;
      map.set(value, sym);
    }
    return sym;
  }
}

export interface NormalFrame {
  readonly tokens: string[];
  readonly sip: string[] | undefined;
}

function splitPayload(payload: string): { line: string; sip: string | undefined } {
  const cr = payload.indexOf('\r\n');
  return cr < 0
    ? { line: payload, sip: undefined }
    : { line: payload.slice(0, cr), sip: payload.slice(cr + 2) };
}

function normaliseSip(sip: string, sym: Symbols, create: boolean): string[] {
  const head = sip.split('\r\n\r\n')[0] ?? '';
  const out: string[] = [];
  for (const rawLine of head.split('\r\n')) {
    let line = rawLine;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
    if (name === 'call-id') {
      out.push(`${line.slice(0, colon)}: ${sym.get('C', line.slice(colon + 1).trim(), create)}`);
      continue;
    }
    line = line.replace(/tag=([^;,>\s]+)/g, (_m, tag: string) => `tag=${sym.get('G', tag, create)}`);
    line = line.replace(/branch=[^;,\s]+/g, 'branch=<b>');
    line = line.replace(/(SIP\/2\.0\/\w+ [0-9.]+)(?::\d+)?/g, '$1:<port>');
    line = line.replace(/(\d+\.\d+\.\d+\.\d+):\d+/g, '$1:<port>');
    line = line.replace(/rport=\d+/g, 'rport=<port>');
    line = line.replace(/\b(nonce|cnonce|response|opaque)=("[^"]*"|[^,\s]+)/g, '$1=<x>');
    if (name === 'cseq') line = line.replace(/\d{5,}/, '<cseq>');
    out.push(line);
  }
  return out;
}

function normaliseToken(
  token: string,
  index: number,
  command: string,
  fromServer: boolean,
  sym: Symbols,
): string {
  if (index === 0) return fromServer ? '<id>' : sym.get('M', token, !fromServer);
  if (index === 2 && command === 'response') return sym.get('M', token, false);
  if (TIME.test(token)) return '<time>';
  if (UUID.test(token)) return sym.get('T', token, fromServer);
  const dialog = DIALOG.exec(token);
  if (dialog)
    return `${sym.get('C', dialog[1] as string, fromServer)};from-tag=${sym.get('G', dialog[2] as string, fromServer)}`;
  if (/^(tcp|udp|tls)\//.test(token)) return token.replace(/:\d+/g, ':<port>');
  if (/^v\d+\.\d+\.\d+/.test(token)) return '<version>';
  return token;
}

/** Positions of byte counts and ports, which differ between runs. */
function maskNumbers(tokens: string[]): void {
  const command = tokens[1];
  const mask = (i: number, what: string): void => {
    const t = tokens[i];
    if (t !== undefined && /^\d+$/.test(t) && t !== '0') tokens[i] = what;
  };
  if (command === 'sip') {
    mask(3, '<n>');
    mask(6, '<port>');
    mask(11, '<port>');
  } else if (command === 'response' && tokens[4] === 'application') {
    mask(5, '<n>');
    mask(8, '<port>');
  }
}

function normaliseFrames(frames: readonly Frame[]): { app: NormalFrame[]; server: NormalFrame[] } {
  const sym = new Symbols();
  const server: NormalFrame[] = [];
  const app: NormalFrame[] = [];
  // Server frames first: they define the ids the app's frames refer to.
  const order = [
    ...frames.filter((f) => f.direction === 'server->app'),
    ...frames.filter((f) => f.direction === 'app->server'),
  ];
  // App msgIds are named in the app's own order, before server frames refer to them.
  for (const f of frames)
    if (f.direction === 'app->server') sym.get('M', splitPayload(f.payload).line.split('|')[0] ?? '', true);
  for (const f of order) {
    const fromServer = f.direction === 'server->app';
    const { line, sip } = splitPayload(f.payload);
    const raw = line.split('|');
    const command = raw[1] ?? '';
    const tokens = raw.map((t, i) => normaliseToken(t, i, command, fromServer, sym));
    maskNumbers(tokens);
    const normal = { tokens, sip: sip === undefined ? undefined : normaliseSip(sip, sym, fromServer) };
    (fromServer ? server : app).push(normal);
  }
  return { app, server };
}

function describe(f: NormalFrame | undefined): string {
  if (!f) return '(none)';
  return f.tokens.join('|') + (f.sip ? `\n      ${f.sip.join('\n      ')}` : '');
}

/** Differences between an expected and an actual transcript; empty when they match. */
export function compareTranscripts(expected: readonly Frame[], actual: readonly Frame[]): string[] {
  const e = normaliseFrames(expected);
  const a = normaliseFrames(actual);
  const diffs: string[] = [];
  for (const [dir, ex, ac] of [
    ['app->server', e.app, a.app],
    ['server->app', e.server, a.server],
  ] as const) {
    if (ex.length !== ac.length) diffs.push(`${dir}: ${ex.length} frames expected, ${ac.length} seen`);
    const n = Math.max(ex.length, ac.length);
    for (let i = 0; i < n; i++) {
      const x = ex[i];
      const y = ac[i];
      if (describe(x) !== describe(y)) {
        diffs.push(`${dir} frame ${i + 1} differs:\n  expected ${describe(x)}\n  actual   ${describe(y)}`);
        break;
      }
    }
  }
  return diffs;
}

/** The normalised form, for printing when a test fails. */
export function summarise(frames: readonly Frame[]): string {
  const n = normaliseFrames(frames);
  return [...n.app.map((f) => `A ${describe(f)}`), ...n.server.map((f) => `S ${describe(f)}`)].join('\n');
}
