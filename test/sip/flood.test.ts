// Floods: garbage datagrams, more INVITEs than the transaction table holds, oversized and too
// many TCP connections. The edge stays up, its tables and buffers stay within their limits, and
// its rejection log is rate-limited instead of growing with the flood.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import t from 'tap';
import { startTestEdge, type TestEdge } from '../support/edge.js';
import { waitFor } from '../support/wait.js';

function udpClient(t: {
  teardown(fn: () => unknown): void;
}): Promise<{ socket: dgram.Socket; port: number; answers: string[] }> {
  const socket = dgram.createSocket('udp4');
  t.teardown(() => socket.close());
  const answers: string[] = [];
  socket.on('message', (m) => answers.push(m.toString('latin1')));
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port, answers })),
  );
}

function request(method: string, callId: string, port: number): string {
  return [
    `${method} sip:flood@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${callId}`,
    'From: <sip:flood@127.0.0.1>;tag=f',
    'To: <sip:flood@127.0.0.1>',
    `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Sends in slices, yielding between them, so that the flood measures the edge and not the kernel. */
async function sendAll(socket: dgram.Socket, port: number, datagrams: (Buffer | string)[]): Promise<void> {
  for (let i = 0; i < datagrams.length; i += 50) {
    await Promise.all(
      datagrams
        .slice(i, i + 50)
        .map((d) => new Promise<void>((resolve) => socket.send(d, port, '127.0.0.1', () => resolve()))),
    );
    await new Promise((r) => setImmediate(r));
  }
}

async function probe(edge: TestEdge, c: Awaited<ReturnType<typeof udpClient>>, id: string): Promise<void> {
  c.socket.send(request('OPTIONS', id, c.port), edge.sipPort, '127.0.0.1');
  await waitFor(() => c.answers.some((a) => a.includes(`Call-ID: ${id}`)), {
    message: 'the edge answers after the flood',
  });
}

t.test('garbage datagrams are dropped with a rate-limited log', async (t) => {
  const edge = await startTestEdge();
  t.teardown(() => edge.close());
  const c = await udpClient(t);
  const garbage: (Buffer | string)[] = [];
  for (let i = 0; i < 2_000; i++) garbage.push(randomBytes(20 + (i % 1_400)));
  for (let i = 0; i < 1_000; i++)
    garbage.push(
      `INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bK${i}\r\nCSeq: x\r\n\r\n`,
    );
  await sendAll(c.socket, edge.sipPort, garbage);
  await probe(edge, c, 'after-garbage');
  const rejections = edge.logs.filter((l) => /^(rejected|dropped) malformed/.test(l.msg)).length;
  t.ok(
    rejections < 500,
    `rejections were logged at a bounded rate (${rejections} lines for ${garbage.length} datagrams)`,
  );
  t.ok(
    edge.logs.some((l) => typeof l.suppressed === 'number'),
    'the suppressed count was reported',
  );
  t.ok(edge.stats().transactions <= 1, 'no transaction was created for garbage');
});

t.test('an INVITE flood past the transaction limit is answered 503 without growing the table', async (t) => {
  const limit = 100;
  const edge = await startTestEdge({ limits: { maxTransactions: limit } });
  t.teardown(() => edge.close());
  const c = await udpClient(t);
  const count = 1_000;
  const answered = (): number =>
    new Set(c.answers.filter((a) => a.startsWith('SIP/2.0 503')).map((a) => /Call-ID: (\S+)/.exec(a)?.[1]))
      .size;
  // Batches of 100, each answered before the next: the point is the table, not the kernel's buffers.
  for (let sent = 0; sent < count; sent += 100) {
    const batch = Array.from({ length: 100 }, (_, i) => request('INVITE', `flood-${sent + i}`, c.port));
    await sendAll(c.socket, edge.sipPort, batch);
    await waitFor(() => answered() >= sent + 100, { message: `503 for INVITEs ${sent} to ${sent + 99}` });
    t.ok(
      edge.stats().transactions <= limit,
      `the transaction table stayed within ${limit} (${edge.stats().transactions})`,
    );
  }
  t.equal(answered(), count, 'every INVITE got 503');
  t.ok(
    edge.logs.some((l) => l.msg === 'rejected request: transaction table full (503)'),
    'overload was logged',
  );
});

t.test('a TCP peer sending an endless header block is cut off', async (t) => {
  const edge = await startTestEdge({ limits: { maxHeaderBytes: 8 * 1024 } });
  t.teardown(() => edge.close());
  const socket = net.connect(edge.sipPort, '127.0.0.1');
  t.teardown(() => socket.destroy());
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {});
  socket.write('INVITE sip:x@127.0.0.1 SIP/2.0\r\n');
  for (let i = 0; i < 200 && !closed; i++) socket.write(`X-Filler-${i}: ${'y'.repeat(200)}\r\n`);
  await waitFor(() => closed, { message: 'the edge closed the connection' });
  t.ok(
    edge.logs.some((l) => l.reason === 'header block too large'),
    'the reason was logged',
  );
});

t.test('TCP connections past the limit are refused', async (t) => {
  const edge = await startTestEdge({ limits: { maxTcpConnections: 5 } });
  t.teardown(() => edge.close());
  const sockets = Array.from({ length: 10 }, () => net.connect(edge.sipPort, '127.0.0.1'));
  const closed = new Set<net.Socket>();
  for (const s of sockets) {
    s.on('close', () => closed.add(s));
    s.on('error', () => {});
    t.teardown(() => s.destroy());
  }
  await waitFor(() => closed.size >= 5, { message: 'the extra connections were closed' });
  t.equal(closed.size, 5, 'exactly the connections past the limit were closed');
  t.ok(
    edge.logs.some((l) => l.msg === 'tcp connection refused: connection limit reached'),
    'the refusal was logged',
  );
});
