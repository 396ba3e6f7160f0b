// Via (RFC 3261 section 20.42 and the via-parm grammar of section 25.1):
//   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
//   sent-protocol = protocol-name SLASH protocol-version SLASH transport, SLASH = SWS "/" SWS
// LWS may appear around every separator (RFC 4475 3.1.1.1 folds a Via over three lines).
import { parseBoundedInt, scanParams, scanToken, skipWs, type Params } from './grammar.js';
import type { Via } from './message.js';

function formatParams(params: Params): string {
  let out = '';
  for (const [name, value] of params) out += value === undefined ? `;${name}` : `;${name}=${value}`;
  return out;
}

export function formatVia(v: {
  protocol: string;
  transport: string;
  host: string;
  port: number | undefined;
  params: Params;
}): string {
  return `${v.protocol}/${v.transport} ${v.host}${v.port === undefined ? '' : `:${v.port}`}${formatParams(v.params)}`;
}

function scanSlash(s: string, i: number): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) !== 47) return -1;
  return skipWs(s, i + 1);
}

function scanVia(s: string, start: number): { via: Via; end: number } | undefined {
  let i = skipWs(s, start);
  const nameEnd = scanToken(s, i);
  if (nameEnd === i) return undefined;
  const name = s.slice(i, nameEnd);
  i = scanSlash(s, nameEnd);
  if (i < 0) return undefined;
  const versionEnd = scanToken(s, i);
  if (versionEnd === i) return undefined;
  const version = s.slice(i, versionEnd);
  i = scanSlash(s, versionEnd);
  if (i < 0) return undefined;
  const transportEnd = scanToken(s, i);
  if (transportEnd === i) return undefined;
  const transport = s.slice(i, transportEnd).toUpperCase();
  i = skipWs(s, transportEnd);
  if (i === transportEnd) return undefined;
  let hostEnd: number;
  if (s.charCodeAt(i) === 91) {
    hostEnd = s.indexOf(']', i);
    if (hostEnd < 0) return undefined;
    hostEnd += 1;
  } else {
    hostEnd = i;
    while (hostEnd < s.length) {
      const c = s.charCodeAt(hostEnd);
      const ok =
        (c >= 65 && c <= 90) ||
        (c >= 97 && c <= 122) ||
        (c >= 48 && c <= 57) ||
        c === 45 ||
        c === 46 ||
        c === 95;
      if (!ok) break;
      hostEnd++;
    }
  }
  if (hostEnd === i) return undefined;
  const host = s.slice(i, hostEnd);
  let port: number | undefined;
  let j = skipWs(s, hostEnd);
  if (s.charCodeAt(j) === 58) {
    const portStart = skipWs(s, j + 1);
    let portEnd = portStart;
    while (portEnd < s.length && s.charCodeAt(portEnd) >= 48 && s.charCodeAt(portEnd) <= 57) portEnd++;
    port = parseBoundedInt(s.slice(portStart, portEnd), 65535);
    if (port === undefined) return undefined;
    j = portEnd;
  } else {
    j = hostEnd;
  }
  const params: Params = new Map();
  const end = scanParams(s, j, params);
  if (end < 0) return undefined;
  const protocol = `${name}/${version}`;
  const via: Via = {
    protocol,
    transport,
    host,
    port,
    branch: params.get('branch'),
    params,
    text: formatVia({ protocol, transport, host, port, params }),
  };
  return { via, end };
}

/** Parses one Via header value, which may hold several comma-separated via-parms. */
export function parseViaList(value: string): Via[] | undefined {
  const out: Via[] = [];
  let i = 0;
  for (;;) {
    const scan = scanVia(value, i);
    if (!scan) return undefined;
    out.push(scan.via);
    i = skipWs(value, scan.end);
    if (i === value.length) return out;
    if (value.charCodeAt(i) !== 44) return undefined;
    i += 1;
  }
}

/**
 * RFC 3581 with sofia's "server rport 2" (rport forced even when the client did not ask):
 * the top Via of a received request gets received= when the sent-by host differs from the
 * source address, and rport= with the source port.
 */
export function stampReceived(via: Via, address: string, port: number): Via {
  const params = new Map(via.params);
  if (via.host !== address) params.set('received', address);
  params.set('rport', String(port));
  return { ...via, params, text: formatVia({ ...via, params }) };
}
