// name-addr / addr-spec header values (From, To, Contact, Route, Record-Route; RFC 3261
// sections 20.10, 20.20, 20.39 and the grammar of section 25.1):
//   ( name-addr / addr-spec ) *( SEMI param ),  name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
// The parser is strict where RFC 4475 expects a rejection: unbalanced quotes (3.1.2.6), spaces
// inside <> (3.1.2.14), unquoted non-token display names (3.1.2.15), and an addr-spec carrying
// "?" headers outside angle brackets (3.1.2.13).
import { isAbsoluteUri, isTokenChar, scanParams, scanQuoted, skipWs, type Params } from './grammar.js';

export interface Address {
  /** Display name as written (quotes kept), if any. */
  readonly display: string | undefined;
  readonly uri: string;
  /** Whether the URI was enclosed in angle brackets. */
  readonly bracketed: boolean;
  readonly params: Params;
}

interface Scan {
  address: Address;
  end: number;
}

function scanAddress(s: string, start: number): Scan | undefined {
  let i = skipWs(s, start);
  let display: string | undefined;
  if (s.charCodeAt(i) === 34) {
    const end = scanQuoted(s, i);
    if (end < 0) return undefined;
    display = s.slice(i, end);
    i = skipWs(s, end);
    if (s.charCodeAt(i) !== 60) return undefined;
  } else if (s.charCodeAt(i) !== 60) {
    // Either a display-name of tokens followed by "<", or an addr-spec.
    let j = i;
    while (j < s.length && (isTokenChar(s.charCodeAt(j)) || s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9))
      j++;
    if (s.charCodeAt(j) === 60 && j > i) {
      display = s.slice(i, j).trim();
      i = j;
    }
  }
  if (s.charCodeAt(i) === 60) {
    const close = s.indexOf('>', i + 1);
    if (close < 0) return undefined;
    const uri = s.slice(i + 1, close);
    if (!isAbsoluteUri(uri)) return undefined;
    const params: Params = new Map();
    const end = scanParams(s, close + 1, params);
    if (end < 0) return undefined;
    return { address: { display, uri, bracketed: true, params }, end };
  }
  // addr-spec: the URI runs to the first ";", "," or whitespace, and may not hold "?" headers.
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 59 || c === 44 || c === 32 || c === 9) break;
    j++;
  }
  const uri = s.slice(i, j);
  if (!isAbsoluteUri(uri) || uri.includes('?')) return undefined;
  const params: Params = new Map();
  const end = scanParams(s, j, params);
  if (end < 0) return undefined;
  return { address: { display: undefined, uri, bracketed: false, params }, end };
}

/** One address filling the whole value (From, To). */
export function parseAddress(value: string): Address | undefined {
  const scan = scanAddress(value, 0);
  if (!scan) return undefined;
  return skipWs(value, scan.end) === value.length ? scan.address : undefined;
}

/** A comma-separated list of addresses (Contact, Route, Record-Route). "*" is not handled here. */
export function parseAddressList(value: string): Address[] | undefined {
  const out: Address[] = [];
  let i = 0;
  for (;;) {
    const scan = scanAddress(value, i);
    if (!scan) return undefined;
    out.push(scan.address);
    i = skipWs(value, scan.end);
    if (i === value.length) return out;
    if (value.charCodeAt(i) !== 44) return undefined;
    i += 1;
  }
}

/** Writes an address back in name-addr form, as sofia-sip does for From, To and Contact. */
export function formatAddress(address: {
  display?: string | undefined;
  uri: string;
  params?: Params;
}): string {
  let out = address.display ? `${address.display} <${address.uri}>` : `<${address.uri}>`;
  if (address.params) {
    for (const [name, value] of address.params) out += value === undefined ? `;${name}` : `;${name}=${value}`;
  }
  return out;
}
