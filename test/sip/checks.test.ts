// The checks the edge makes before a request reaches an app: Max-Forwards (RFC 3261 section
// 16.3 step 3) and loop detection (step 4), and TLS on the app port.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestEdge } from '../support/edge.js';
import { connectSrf, SDP } from '../support/srf.js';
import { waitFor } from '../support/wait.js';

const TLS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');

async function udp(t: {
  teardown(fn: () => unknown): void;
}): Promise<{ socket: dgram.Socket; port: number; got: string[] }> {
  const socket = dgram.createSocket('udp4');
  t.teardown(() => socket.close());
  const got: string[] = [];
  socket.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { socket, port: socket.address().port, got };
}

t.test('an INVITE with Max-Forwards 0 gets 483 and never reaches the app', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  let offered = 0;
  srf.invite(() => {
    offered += 1;
  });
  const c = await udp(t);
  const invite = [
    'INVITE sip:x@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bKmf0`,
    'From: <sip:a@127.0.0.1>;tag=1',
    'To: <sip:x@127.0.0.1>',
    'Call-ID: mf0',
    'CSeq: 1 INVITE',
    'Max-Forwards: 0',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  c.socket.send(invite, edge.sipPort, '127.0.0.1');
  await waitFor(() => c.got.some((m) => m.startsWith('SIP/2.0 483')), { message: '483 Too Many Hops' });
  t.equal(offered, 0, 'the app never saw it');
});

t.test('a request that comes back carrying the edge Via is a loop: 482', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  t.teardown(() => srf.disconnect());
  // A "proxy" that sends whatever it gets straight back to the edge with its own Via on top.
  const proxy = await udp(t);
  proxy.socket.on('message', (m) => {
    const text = m.toString('latin1');
    if (!text.startsWith('INVITE')) return;
    const looped = text.replace(
      '\r\nVia: ',
      `\r\nVia: SIP/2.0/UDP 127.0.0.1:${proxy.port};branch=z9hG4bKproxy1\r\nVia: `,
    );
    proxy.socket.send(looped, edge.sipPort, '127.0.0.1');
  });
  srf.createUAC(`sip:loop@127.0.0.1:${proxy.port}`, { localSdp: SDP }).catch(() => {});
  await waitFor(() => proxy.got.some((m) => m.startsWith('SIP/2.0 482')), {
    message: '482 Loop Detected back to the proxy',
  });
  t.ok(
    edge.logs.some((l) => l.reason === 'loop detected'),
    'the loop was logged',
  );
});

t.test('apps can connect over TLS', async (t) => {
  const edge = await startTestEdge({
    app: {
      host: '127.0.0.1',
      port: 0,
      secret: 'tls-secret',
      tls: {
        key: readFileSync(path.join(TLS_DIR, 'test-only.key')),
        cert: readFileSync(path.join(TLS_DIR, 'test-only.crt')),
      },
    },
  });
  t.teardown(() => edge.close());
  const { srf, version } = await connectSrf(edge.appPort, 'tls-secret', {
    tls: { ca: readFileSync(path.join(TLS_DIR, 'test-only.crt')), servername: 'localhost' },
  });
  t.teardown(() => srf.disconnect());
  t.match(version, /^v\d+\.\d+\.\d+/, 'authenticated over TLS');
  await waitFor(() => edge.stats().apps === 1, { message: 'the edge counts the app' });
});
