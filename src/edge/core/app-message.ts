// The SIP text an app sends inside a `sip` command. drachtio-srf sends near-empty messages (a
// start line, a few lower-case headers, a body) and the server fills in the rest, so this
// parser is lenient: it keeps what is there and lets the builders decide what to use.
import { formatAddress, parseAddress } from '../sip/address.js';
import { headerKey } from '../sip/headers.js';
import type { OutHeader } from '../sip/serialize.js';

export interface AppMessage {
  readonly isResponse: boolean;
  readonly method: string;
  readonly uri: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly OutHeader[];
  readonly body: string;
}

export function parseAppMessage(text: string): AppMessage | string {
  const sep = text.indexOf('\r\n\r\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 4);
  const lines = head.split('\r\n');
  const start = (lines[0] ?? '').trim();
  const headers: { name: string; value: string }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.length === 0) continue;
    if (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) {
      const prev = headers[headers.length - 1];
      if (prev) prev.value = `${prev.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return `invalid header line: ${line}`;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  const status = /^SIP\/2\.0 ([1-6][0-9][0-9])(?: (.*))?$/.exec(start);
  if (status) {
    return {
      isResponse: true,
      method: '',
      uri: '',
      status: Number(status[1]),
      reason: status[2] ?? '',
      headers,
      body,
    };
  }
  const request = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/.exec(start);
  if (!request) return `invalid start line: ${start}`;
  return {
    isResponse: false,
    method: (request[1] as string).toUpperCase(),
    uri: request[2] as string,
    status: 0,
    reason: '',
    headers,
    body,
  };
}

export function findHeader(msg: AppMessage, key: string): string | undefined {
  for (const h of msg.headers) if (headerKey(h.name) === key) return h.value;
  return undefined;
}

/** Headers the app supplied, minus those the edge writes itself. */
export function extraHeaders(msg: AppMessage, owned: ReadonlySet<string>): OutHeader[] {
  return msg.headers.filter((h) => !owned.has(headerKey(h.name)));
}

/**
 * drachtio replaces the host `localhost` in From, To, Contact and P-Asserted-Identity with the
 * chosen transport's host:port (`sip:sipp@localhost` becomes `<sip:sipp@127.0.0.1:5060>`), and
 * writes the address in name-addr form.
 */
export function localizeAddress(value: string, hostport: string): string | undefined {
  const addr = parseAddress(value);
  if (!addr) return undefined;
  const uri = addr.uri.replace(/^(sips?:(?:[^@]*@)?)localhost(?=[;:?>]|$)(:[0-9]+)?/i, `$1${hostport}`);
  return formatAddress({ display: addr.display, uri, params: addr.params });
}

/** drachtio: "Content-Type: application/sdp is added when the body starts with v=0 and no type is given". */
export function contentTypeFor(msg: AppMessage): string | undefined | Error {
  const given = findHeader(msg, 'content-type');
  if (given !== undefined) return given;
  if (msg.body.length === 0) return undefined;
  if (msg.body.startsWith('v=0')) return 'application/sdp';
  return new Error('missing content-type');
}
