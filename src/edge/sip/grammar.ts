// Character-level scanners for the RFC 3261 section 25 grammar. Each takes the string and a
// start index and returns the index just past what it matched (or -1 when the input is not
// well formed). Folding has already been turned into single spaces, so LWS is SP / HTAB here.

const TOKEN_CHARS = "-.!%*_+`'~";
const token = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (
    (ch >= 'a' && ch <= 'z') ||
    (ch >= 'A' && ch <= 'Z') ||
    (ch >= '0' && ch <= '9') ||
    TOKEN_CHARS.includes(ch)
  ) {
    token[c] = 1;
  }
}

export function isTokenChar(code: number): boolean {
  return code < 128 && token[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

export function scanToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/**
 * quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE, where qdtext excludes controls
 * and quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F). `i` points at the opening quote.
 */
export function scanQuoted(s: string, i: number): number {
  if (s.charCodeAt(i) !== 34) return -1;
  i++;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      const next = s.charCodeAt(i + 1);
      if (Number.isNaN(next) || next === 10 || next === 13 || next > 127) return -1;
      i += 2;
      continue;
    }
    if ((c < 32 && c !== 9) || c === 127) return -1;
    i++;
  }
  return -1;
}

/** gen-value = token / host / quoted-string; host adds the IPv6 reference characters. */
function scanGenValue(s: string, i: number): number {
  if (s.charCodeAt(i) === 34) return scanQuoted(s, i);
  const start = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isTokenChar(c) || c === 58 || c === 91 || c === 93) i++;
    else break;
  }
  return i > start ? i : -1;
}

export type Params = Map<string, string | undefined>;

/**
 * *( SEMI generic-param ) with SEMI = SWS ";" SWS and EQUAL = SWS "=" SWS. Stops before the
 * first character that cannot continue the list (a comma, the end). Names are lower-cased.
 */
export function scanParams(s: string, i: number, params: Params): number {
  for (;;) {
    const semi = skipWs(s, i);
    if (s.charCodeAt(semi) !== 59) return i;
    const nameStart = skipWs(s, semi + 1);
    const nameEnd = scanToken(s, nameStart);
    if (nameEnd === nameStart) return -1;
    const name = s.slice(nameStart, nameEnd).toLowerCase();
    const eq = skipWs(s, nameEnd);
    if (s.charCodeAt(eq) === 61) {
      const valueStart = skipWs(s, eq + 1);
      const valueEnd = scanGenValue(s, valueStart);
      if (valueEnd < 0) return -1;
      params.set(name, s.slice(valueStart, valueEnd));
      i = valueEnd;
    } else {
      params.set(name, undefined);
      i = nameEnd;
    }
  }
}

/** Generic absoluteURI check: scheme ":" then at least one character, no LWS, quotes or brackets. */
export function isAbsoluteUri(uri: string): boolean {
  const colon = uri.indexOf(':');
  if (colon <= 0) return false;
  const first = uri.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122))) return false;
  for (let i = 1; i < colon; i++) {
    const c = uri.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 45 ||
      c === 46;
    if (!ok) return false;
  }
  if (colon === uri.length - 1) return false;
  for (let i = colon + 1; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 34 || c === 60 || c === 62) return false;
  }
  return true;
}

/** 1*DIGIT with an upper bound; leading zeros are fine (RFC 4475 3.1.1.1). */
export function parseBoundedInt(s: string, max: number): number | undefined {
  if (s.length === 0 || s.length > 12) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return n <= max ? n : undefined;
}
