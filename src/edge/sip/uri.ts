// SIP and SIPS URIs (RFC 3261 section 19.1): enough structure to route a request (host, port,
// transport, lr, maddr) and to check what RFC 4475 says must be rejected. The user part is kept
// as written; escapes are not decoded because the edge never compares user parts.
import { isAbsoluteUri, parseBoundedInt } from './grammar.js';

export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  readonly user: string | undefined;
  readonly host: string;
  readonly port: number | undefined;
  readonly params: ReadonlyMap<string, string | undefined>;
  readonly headers: string | undefined;
}

function validHost(host: string): boolean {
  if (host.length === 0) return false;
  if (host.charCodeAt(0) === 91) {
    if (host.charCodeAt(host.length - 1) !== 93) return false;
    return /^[0-9A-Fa-f:.]+$/.test(host.slice(1, -1));
  }
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 45 ||
      c === 46 ||
      c === 95;
    if (!ok) return false;
  }
  return true;
}

/** Characters allowed in URI parameters and user parts, beyond which the URI is malformed. */
function validUriChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c <= 32 ||
      c >= 127 ||
      c === 34 ||
      c === 60 ||
      c === 62 ||
      c === 92 ||
      c === 94 ||
      c === 123 ||
      c === 125 ||
      c === 124
    ) {
      return false;
    }
  }
  return true;
}

export function parseSipUri(uri: string): SipUri | undefined {
  let scheme: 'sip' | 'sips';
  let rest: string;
  const lower = uri.slice(0, 5).toLowerCase();
  if (lower.startsWith('sips:')) {
    scheme = 'sips';
    rest = uri.slice(5);
  } else if (lower.startsWith('sip:')) {
    scheme = 'sip';
    rest = uri.slice(4);
  } else {
    return undefined;
  }
  if (!validUriChars(rest)) return undefined;
  // The user part cannot contain an unescaped "@", and nothing after the host can either.
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : undefined;
  if (user !== undefined && user.length === 0) return undefined;
  let hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  let headers: string | undefined;
  const q = hostPart.indexOf('?');
  if (q >= 0) {
    headers = hostPart.slice(q + 1);
    hostPart = hostPart.slice(0, q);
  }
  const params = new Map<string, string | undefined>();
  const semi = hostPart.indexOf(';');
  const hostport = semi >= 0 ? hostPart.slice(0, semi) : hostPart;
  if (semi >= 0) {
    for (const p of hostPart.slice(semi + 1).split(';')) {
      if (p.length === 0) return undefined;
      const eq = p.indexOf('=');
      if (eq === 0) return undefined;
      if (eq > 0) params.set(p.slice(0, eq).toLowerCase(), p.slice(eq + 1));
      else params.set(p.toLowerCase(), undefined);
    }
  }
  let host = hostport;
  let port: number | undefined;
  const bracketEnd = hostport.lastIndexOf(']');
  const colon = hostport.lastIndexOf(':');
  if (colon > bracketEnd) {
    host = hostport.slice(0, colon);
    port = parseBoundedInt(hostport.slice(colon + 1), 65535);
    if (port === undefined) return undefined;
  }
  if (!validHost(host)) return undefined;
  return { scheme, user, host, port, params, headers };
}

export type UriSchemeClass = 'sip' | 'tel' | 'other' | 'invalid';

/** Sorts a Request-URI: sip/sips/tel are served, other well-formed schemes get 416. */
export function classifyRequestUri(uri: string): UriSchemeClass {
  if (!isAbsoluteUri(uri)) return 'invalid';
  const scheme = uri.slice(0, uri.indexOf(':')).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(uri) ? 'sip' : 'invalid';
  if (scheme === 'tel') return 'tel';
  return 'other';
}

export function formatHostPort(host: string, port: number | undefined): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}
