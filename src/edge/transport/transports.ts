// The SIP transports behind one face: sending to a Remote over the right socket, and the
// addresses the edge advertises in Via and Contact.
import type { TcpTransport } from './tcp.js';
import type { Remote, TransportName } from './types.js';
import type { UdpTransport } from './udp.js';

export class Transports {
  constructor(
    private readonly udp: UdpTransport | undefined,
    private readonly tcp: TcpTransport | undefined,
    /** Host written into Via, Contact and From (the external address when one is configured). */
    readonly advertisedHost: string,
    readonly port: number,
  ) {}

  get names(): TransportName[] {
    const out: TransportName[] = [];
    if (this.tcp) out.push('tcp');
    if (this.udp) out.push('udp');
    return out;
  }

  send(remote: Remote, text: string, onError?: (err: Error) => void): void {
    if (remote.transport === 'tcp') {
      if (this.tcp) this.tcp.send(remote, text, onError);
      else onError?.(new Error('tcp transport not enabled'));
    } else if (this.udp) {
      this.udp.send(remote.address, remote.port, text, onError);
    } else {
      onError?.(new Error('udp transport not enabled'));
    }
  }

  heardFrom(address: string, port: number): boolean {
    return this.udp?.heardFrom(address, port) ?? true;
  }

  /** host or host:port, leaving out 5060 as sofia does in Via. */
  sentBy(): string {
    return this.port === 5060 ? this.advertisedHost : `${this.advertisedHost}:${this.port}`;
  }

  /** The Contact URI of the edge for a transport, e.g. sip:127.0.0.1:5060 (;transport=tcp). */
  contactUri(transport: TransportName, user?: string): string {
    const userPart = user ? `${user}@` : '';
    const suffix = transport === 'tcp' ? ';transport=tcp' : '';
    return `sip:${userPart}${this.advertisedHost}:${this.port}${suffix}`;
  }

  viaValue(transport: TransportName, branch: string): string {
    return `SIP/2.0/${transport.toUpperCase()} ${this.sentBy()};rport;branch=${branch}`;
  }

  get tcpConnections(): number {
    return this.tcp?.connections ?? 0;
  }

  async drain(): Promise<void> {
    await this.udp?.drain();
  }

  async close(): Promise<void> {
    await Promise.all([this.udp?.close(), this.tcp?.close()]);
  }
}
