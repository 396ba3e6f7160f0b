// The app port: apps connect over TCP (or TLS), authenticate with the shared secret, route
// verbs, ping, and send `sip` commands, which go to the SIP core. Behaviour follows the
// transcripts (h-raw-edge-cases): a bad secret gets NO and the socket closed, any verb may be
// routed, an unknown command gets "NO|Unknown message type" and the socket closed. Unlike
// drachtio-server, nothing but ping is served before a successful authenticate.
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { IdGenerator } from '../support/ids.js';
import type { AppCommand } from './commands.js';
import { AppConnection } from './connection.js';
import type { AppRegistry } from './registry.js';

export interface AppServerOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  readonly tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer } | undefined;
  /** The authenticate reply: `<sip hostports>|<version>|<local hostports>`. */
  readonly identity: () => string;
}

export interface AppServerDeps {
  readonly ids: IdGenerator;
  readonly log: Logger;
  readonly registry: AppRegistry;
  sip(conn: AppConnection, command: Extract<AppCommand, { type: 'sip' }>): void;
  closed(conn: AppConnection): void;
}

export interface AppServer {
  readonly port: number;
  close(): Promise<void>;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export async function startAppServer(options: AppServerOptions, deps: AppServerDeps): Promise<AppServer> {
  const secretDigest = digest(options.secret);
  let nextId = 1;
  const { log, registry } = deps;

  const handle = (conn: AppConnection, command: AppCommand): void => {
    if (command.type === 'ping') {
      conn.reply(command.msgId, 'OK', 'pong');
      return;
    }
    if (command.type === 'authenticate') {
      // The secret is compared as digests, in constant time.
      if (!timingSafeEqual(digest(command.secret), secretDigest)) {
        log.info({ app: conn.id, peer: conn.remote }, 'app authentication failed: incorrect secret');
        conn.reply(command.msgId, 'NO', 'incorrect secret');
        conn.end();
        return;
      }
      conn.authenticated = true;
      conn.tags = command.tags;
      registry.add(conn);
      log.info({ app: conn.id, peer: conn.remote, apps: registry.connections.size }, 'app authenticated');
      conn.reply(command.msgId, 'OK', options.identity());
      return;
    }
    if (!conn.authenticated) {
      log.info({ app: conn.id, command: command.type }, 'app command before authenticate; closing');
      conn.reply(command.msgId, 'NO', 'authenticate first');
      conn.end();
      return;
    }
    switch (command.type) {
      case 'route':
        registry.route(conn, command.verb);
        conn.reply(command.msgId, 'OK');
        return;
      case 'remove_route':
        registry.unroute(conn, command.verb);
        conn.reply(command.msgId, 'OK');
        return;
      case 'sip':
        deps.sip(conn, command);
        return;
      case 'proxy':
        conn.reply(command.msgId, 'NOK', 'proxy requests are not supported by this edge');
        return;
      case 'unknown':
        log.info({ app: conn.id, command: command.name }, 'unknown app command; closing');
        conn.reply(command.msgId, 'NO', 'Unknown message type');
        conn.end();
        return;
    }
  };

  const accept = (socket: net.Socket): void => {
    const conn = new AppConnection(nextId++, socket, deps.ids, log, {
      command: handle,
      closed: (c) => {
        // Only an authenticated app can have been given requests or dialogs to release.
        if (!c.authenticated) return;
        registry.remove(c);
        deps.closed(c);
        log.info({ app: c.id, apps: registry.connections.size }, 'app disconnected');
      },
    });
    log.debug({ app: conn.id, peer: conn.remote }, 'app connected');
  };

  const server = options.tls ? tls.createServer({ ...options.tls }, accept) : net.createServer(accept);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.warn({ err }, 'app listener error'));
  const sockets = new Set<net.Socket>();
  server.on(options.tls ? 'secureConnection' : 'connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
