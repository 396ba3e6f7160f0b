// A TCP relay between an app and the edge's app port that records every app-protocol frame in
// both directions, like the relay that recorded test/fixtures/drachtio-wire/ (harness/relay.js).
import net from 'node:net';
import type { Frame } from './drachtio-transcript.js';

export interface FrameRecorder {
  readonly port: number;
  readonly frames: Frame[];
  close(): Promise<void>;
}

function splitter(direction: Frame['direction'], frames: Frame[]): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const hash = buf.indexOf('#');
      if (hash <= 0) return;
      const length = Number(buf.toString('latin1', 0, hash));
      if (!(length > 0) || buf.length < hash + 1 + length) return;
      frames.push({ direction, payload: buf.toString('latin1', hash + 1, hash + 1 + length) });
      buf = buf.subarray(hash + 1 + length);
    }
  };
}

export async function startFrameRecorder(target: { host?: string; port: number }): Promise<FrameRecorder> {
  const frames: Frame[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.host ?? '127.0.0.1', port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    const toServer = splitter('app->server', frames);
    const toApp = splitter('server->app', frames);
    client.on('data', (d: Buffer) => {
      toServer(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      toApp(d);
      client.write(d);
    });
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    frames,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
