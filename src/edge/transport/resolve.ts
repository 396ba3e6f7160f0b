// Turning a target URI into a transport, address and port. RFC 3263 would consult NAPTR and SRV
// records; the edge does what sofia does for a URI with an explicit transport or an IP address:
// the transport parameter (UDP by default), maddr or the host, the port or 5060. Host names go
// through the system resolver (A/AAAA), with a short cache.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SipUri } from '../sip/uri.js';
import type { TransportName } from './types.js';

export interface Destination {
  readonly transport: TransportName;
  readonly address: string;
  readonly port: number;
}

export type Resolution = Destination | { readonly error: string };

const CACHE_MS = 60_000;
const CACHE_LIMIT = 1_000;

export class Resolver {
  private readonly cache = new Map<string, { address: string; expires: number }>();

  constructor(private readonly transports: readonly TransportName[]) {}

  /** The transport a URI asks for, or an error when the edge does not offer it. */
  transportFor(uri: SipUri): TransportName | { error: string } {
    if (uri.scheme === 'sips') return { error: 'requested protocol/transport not available' };
    const param = uri.params.get('transport')?.toLowerCase() ?? 'udp';
    if (param !== 'udp' && param !== 'tcp') return { error: 'requested protocol/transport not available' };
    if (!this.transports.includes(param)) return { error: 'requested protocol/transport not available' };
    return param;
  }

  async resolve(uri: SipUri): Promise<Resolution> {
    const transport = this.transportFor(uri);
    if (typeof transport !== 'string') return transport;
    const host = stripBrackets(uri.params.get('maddr') ?? uri.host);
    const port = uri.port ?? 5060;
    if (isIP(host)) return { transport, address: host, port };
    const cached = this.cache.get(host);
    if (cached && cached.expires > Date.now()) return { transport, address: cached.address, port };
    try {
      const { address } = await lookup(host);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(host, { address, expires: Date.now() + CACHE_MS });
      return { transport, address, port };
    } catch {
      return { error: `unable to resolve host ${host}` };
    }
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
