// SIP over TCP (RFC 3261 section 18): a listener on the same port as UDP, connections reused in
// both directions (a response goes back over the connection its request came on, section
// 18.2.2; a request to a peer that already has a connection uses it), and limits on how many
// connections and how much unframed data the edge will hold.
import net from 'node:net';
import type { Logger } from 'pino';
import { StreamFramer, type FramerLimits } from './stream-framer.js';
import type { InboundHandler, Remote } from './types.js';

export interface TcpLimits extends FramerLimits {
  readonly maxConnections: number;
  /** A connection with no traffic for this long is closed. */
  readonly idleTimeoutMs: number;
  /** A connection holding part of a message with no new bytes for this long is closed. */
  readonly partialMessageTimeoutMs: number;
}

export type FramingErrorHandler = (remote: Remote, reason: string, head: string) => void;

export interface TcpTransport {
  readonly port: number;
  send(remote: Remote, text: string, onError?: (err: Error) => void): void;
  readonly connections: number;
  close(): Promise<void>;
}

interface Conn {
  socket: net.Socket;
  key: string;
  framer: StreamFramer;
  connected: boolean;
  queue: Array<{ data: Buffer; onError: ((err: Error) => void) | undefined }>;
}

export async function startTcp(
  host: string,
  port: number,
  limits: TcpLimits,
  onMessage: InboundHandler,
  onFramingError: FramingErrorHandler,
  log: Logger,
): Promise<TcpTransport> {
  const byKey = new Map<string, Conn>();
  const bySocket = new Map<net.Socket, Conn>();
  let localAddress = host;
  let localPort = port;

  const drop = (conn: Conn): void => {
    bySocket.delete(conn.socket);
    if (byKey.get(conn.key) === conn) byKey.delete(conn.key);
    for (const q of conn.queue) q.onError?.(new Error('connection closed before it was established'));
    conn.queue = [];
  };

  const attach = (socket: net.Socket, key: string, connected: boolean): Conn => {
    const conn: Conn = { socket, key, framer: new StreamFramer(limits), connected, queue: [] };
    bySocket.set(socket, conn);
    byKey.set(key, conn);
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('timeout', () => socket.destroy());
    socket.on('error', (err) => log.debug({ err, peer: key }, 'tcp connection error'));
    socket.on('close', () => drop(conn));
    socket.on('data', (chunk: Buffer) => {
      const remote: Remote = {
        transport: 'tcp',
        address: socket.remoteAddress ?? '',
        port: socket.remotePort ?? 0,
        socket,
      };
      for (const ev of conn.framer.push(chunk)) {
        if (ev.type === 'message') {
          onMessage({ text: ev.text, remote, localAddress, localPort, stream: true });
        } else if (ev.type === 'ping') {
          socket.write('\r\n');
        } else {
          onFramingError(remote, ev.reason, ev.text);
          socket.end();
          return;
        }
      }
      socket.setTimeout(conn.framer.pending > 0 ? limits.partialMessageTimeoutMs : limits.idleTimeoutMs);
    });
    return conn;
  };

  const server = net.createServer((socket) => {
    if (bySocket.size >= limits.maxConnections) {
      log.warn({ peer: socket.remoteAddress }, 'tcp connection refused: connection limit reached');
      socket.destroy();
      return;
    }
    attach(socket, `${socket.remoteAddress}:${socket.remotePort}`, true);
  });
  server.on('error', (err) => log.warn({ err }, 'tcp listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  localAddress = address.address;
  localPort = address.port;

  const connect = (remote: Remote): Conn => {
    const key = `${remote.address}:${remote.port}`;
    const socket = net.connect({ host: remote.address, port: remote.port });
    const conn = attach(socket, key, false);
    socket.once('connect', () => {
      conn.connected = true;
      for (const q of conn.queue) socket.write(q.data);
      conn.queue = [];
    });
    return conn;
  };

  return {
    port: localPort,
    get connections() {
      return bySocket.size;
    },
    send(remote, text, onError) {
      const data = Buffer.from(text, 'latin1');
      let conn = remote.socket && !remote.socket.destroyed ? bySocket.get(remote.socket) : undefined;
      conn ??= byKey.get(`${remote.address}:${remote.port}`);
      if (!conn || conn.socket.destroyed) {
        if (bySocket.size >= limits.maxConnections) {
          onError?.(new Error('tcp connection limit reached'));
          return;
        }
        conn = connect(remote);
      }
      if (!conn.connected) {
        conn.queue.push({ data, onError });
        return;
      }
      conn.socket.write(data);
    },
    async close() {
      for (const conn of bySocket.values()) conn.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
