// SIP over UDP (RFC 3261 section 18): one socket for receiving and sending. Every datagram is
// one message; the parser ignores octets past Content-Length (section 18.3).
import dgram from 'node:dgram';
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { InboundHandler } from './types.js';

export interface UdpTransport {
  readonly port: number;
  send(address: string, port: number, text: string, onError?: (err: Error) => void): void;
  /** Resolves once every datagram handed to send() has left the socket. */
  drain(): Promise<void>;
  /** Whether a datagram came from this address and port recently (see reachability.ts). */
  heardFrom(address: string, port: number): boolean;
  close(): Promise<void>;
}

/** The largest datagram the edge accepts; anything bigger is dropped before parsing. */
const MAX_DATAGRAM = 65_535;
const HEARD_LIMIT = 10_000;

export async function startUdp(
  host: string,
  port: number,
  onMessage: InboundHandler,
  log: Logger,
): Promise<UdpTransport> {
  const family = host.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({
    type: family,
    recvBufferSize: 4 * 1024 * 1024,
    sendBufferSize: 4 * 1024 * 1024,
    // Destinations are resolved before sending; answering address lookups synchronously saves
    // dns.lookup's deferral on every datagram (a host name still goes to the system resolver).
    lookup: (address, options, callback) => {
      const ipFamily = isIP(address);
      if (ipFamily)
        (callback as (err: null, address: string, family: number) => void)(null, address, ipFamily);
      else lookup(address, options, callback);
    },
  });
  // Peers heard from, for the reachability probe; cleared wholesale when it grows too big.
  const heard = new Set<string>();
  let inFlight = 0;
  let drained: Array<() => void> = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const bound = socket.address();
  socket.on('error', (err) => log.warn({ err }, 'udp socket error'));
  socket.on('message', (msg, rinfo) => {
    if (msg.length === 0 || msg.length > MAX_DATAGRAM) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    if (!heard.has(key)) {
      if (heard.size >= HEARD_LIMIT) heard.clear();
      heard.add(key);
    }
    onMessage({
      text: msg.toString('latin1'),
      remote: { transport: 'udp', address: rinfo.address, port: rinfo.port },
      localAddress: bound.address,
      localPort: bound.port,
      stream: false,
    });
  });
  return {
    port: bound.port,
    send(address, destPort, text, onError) {
      inFlight += 1;
      socket.send(Buffer.from(text, 'latin1'), destPort, address, (err) => {
        inFlight -= 1;
        if (inFlight === 0 && drained.length > 0) {
          for (const resolve of drained) resolve();
          drained = [];
        }
        if (err) {
          if (onError) onError(err);
          else log.debug({ err, address, port: destPort }, 'udp send failed');
        }
      });
    },
    drain() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => drained.push(resolve));
    },
    heardFrom(address, destPort) {
      return heard.has(`${address}:${destPort}`);
    },
    close() {
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
}
