// RFC 4475 torture messages sent to the edge over UDP and over TCP. The edge must stay up,
// answer invalid requests with 400 (505 for an unknown version), drop invalid responses, accept
// the valid messages (offered to the app routing their method, or answered as a well-formed
// request the edge cannot serve), and log every rejection with its reason.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestEdge, type TestEdge } from '../support/edge.js';
import { connectSrf, type SrfApp } from '../support/srf.js';
import { waitFor } from '../support/wait.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'rfc4475');

type Outcome =
  /** Well formed and offered to the app. */
  | { readonly offered: true }
  /** Answered by the edge with this status; `reason` is the rejection logged, if any. */
  | { readonly status: number; readonly reason?: string; readonly closes?: true }
  /** No answer: a response matching no transaction, or a malformed one (`reason` logged). */
  | { readonly dropped: true; readonly reason?: string }
  /** Over TCP: an incomplete message, the connection is closed after the partial-message timeout. */
  | { readonly closedIncomplete: true };

interface Case {
  /** Section of RFC 4475 and what it asks for. */
  readonly rfc: string;
  readonly udp: Outcome;
  readonly tcp?: Outcome;
}

const offered = { offered: true } as const;
const bad = (reason: string): Outcome => ({ status: 400, reason });

const CASES: Record<string, Case> = {
  wsinv: { rfc: '3.1.1.1 valid; its To tag names no dialog here, so 481', udp: { status: 481 } },
  intmeth: {
    rfc: '3.1.1.2 valid; an unknown method nobody routed: 501',
    udp: { status: 501, reason: 'unknown method' },
  },
  esc01: { rfc: '3.1.1.3 valid', udp: offered },
  escnull: { rfc: '3.1.1.4 valid', udp: offered },
  esc02: {
    rfc: '3.1.1.5 valid; RE%47IST%45R is not REGISTER: 501',
    udp: { status: 501, reason: 'unknown method' },
  },
  lwsdisp: { rfc: '3.1.1.6 valid', udp: offered },
  longreq: { rfc: '3.1.1.7 valid', udp: offered },
  dblreq: { rfc: '3.1.1.8 valid; octets after Content-Length are ignored over UDP', udp: offered },
  semiuri: { rfc: '3.1.1.9 valid', udp: offered },
  transports: { rfc: '3.1.1.10 valid', udp: offered },
  mpart01: { rfc: '3.1.1.11 valid, binary body framed by Content-Length', udp: offered },
  unreason: { rfc: '3.1.1.12 valid response (no transaction: dropped)', udp: { dropped: true } },
  noreason: { rfc: '3.1.1.13 valid response (no transaction: dropped)', udp: { dropped: true } },
  badinv01: { rfc: '3.1.2.1 respond 400', udp: bad('invalid Via') },
  clerr: {
    rfc: '3.1.2.2 over UDP 400; over TCP wait, then close',
    udp: bad('Content-Length larger than the message'),
    tcp: { closedIncomplete: true },
  },
  ncl: {
    rfc: '3.1.2.3 an error; over TCP close the connection',
    udp: bad('invalid Content-Length'),
    tcp: { status: 400, reason: 'invalid Content-Length', closes: true },
  },
  scalar02: { rfc: '3.1.2.4 respond 400 (CSeq > 2**32-1)', udp: bad('invalid CSeq') },
  scalarlg: {
    rfc: '3.1.2.5 response with overlarge fields: discard',
    udp: { dropped: true, reason: 'invalid CSeq' },
  },
  quotbal: { rfc: '3.1.2.6 respond 400', udp: bad('invalid To') },
  ltgtruri: { rfc: '3.1.2.7 reject with 400', udp: bad('malformed Request-URI') },
  lwsruri: { rfc: '3.1.2.8 respond 400', udp: bad('malformed request line') },
  lwsstart: { rfc: '3.1.2.9 acceptable to reject', udp: bad('malformed request line') },
  trws: { rfc: '3.1.2.10 acceptable to reject', udp: bad('malformed request line') },
  escruri: { rfc: '3.1.2.11 acceptable to reject with 400', udp: bad('Request-URI with escaped headers') },
  baddate: { rfc: '3.1.2.12 may be accepted when Date is not used', udp: offered },
  regbadct: { rfc: '3.1.2.13 reasonable to respond 400', udp: bad('invalid Contact') },
  badaspec: { rfc: '3.1.2.14 reasonable to reject with 400', udp: bad('invalid To') },
  baddn: {
    rfc: '3.1.2.15 reasonable to reject with 400 (the datagram has no empty line; over TCP it never completes)',
    udp: bad('invalid From'),
    tcp: { closedIncomplete: true },
  },
  badvers: { rfc: '3.1.2.16 respond 505', udp: { status: 505, reason: 'unsupported SIP version' } },
  mismatch01: {
    rfc: '3.1.2.17 respond 400',
    udp: { status: 400, reason: 'CSeq method does not match the request method' },
  },
  mismatch02: {
    rfc: '3.1.2.18 respond 501 (400 acceptable)',
    udp: { status: 501, reason: 'unknown method' },
  },
  bigcode: {
    rfc: '3.1.2.19 response code > 699: drop',
    udp: { dropped: true, reason: 'status code out of range' },
  },
  badbranch: { rfc: '3.2.1 may fall back to RFC 2543 matching', udp: offered },
  insuf: { rfc: '3.3.1 respond 400', udp: bad('missing Call-ID') },
  unkscm: { rfc: '3.3.2 respond 416', udp: { status: 416, reason: 'unsupported Request-URI scheme' } },
  novelsc: {
    rfc: '3.3.3 a UAS without the scheme responds 416',
    udp: { status: 416, reason: 'unsupported Request-URI scheme' },
  },
  unksm2: { rfc: '3.3.4 accept (unknown schemes in To and From)', udp: offered },
  bext01: { rfc: '3.3.5 Require/Proxy-Require are for the app', udp: offered },
  invut: { rfc: '3.3.6 unknown Content-Type is for the app', udp: offered },
  regaut01: { rfc: '3.3.7 unknown Authorization scheme is for the app', udp: offered },
  multi01: { rfc: '3.3.8 respond 400', udp: bad('more than one cseq header field') },
  mcl01: {
    rfc: '3.3.9 an error; over TCP close the connection',
    udp: bad('more than one content-length header field'),
    tcp: { status: 400, reason: 'invalid Content-Length', closes: true },
  },
  bcast: { rfc: '3.3.10 a response matching no transaction: dropped', udp: { dropped: true } },
  zeromf: { rfc: '3.3.11 an endpoint answers OPTIONS with Max-Forwards 0', udp: offered },
  cparam01: { rfc: '3.3.12 valid', udp: offered },
  cparam02: { rfc: '3.3.13 valid', udp: offered },
  regescrt: { rfc: '3.3.14 valid', udp: offered },
  sdp01: { rfc: '3.3.15 Accept is for the app', udp: offered },
  inv2543: {
    rfc: '3.4.1 accept RFC 2543 syntax (no Content-Length: over TCP that is a framing error)',
    udp: offered,
    tcp: { status: 400, reason: 'missing Content-Length on a stream transport', closes: true },
  },
};

/** How a message and its answers are matched: Call-ID, or CSeq when there is none (insuf). */
function idOf(text: string): string {
  return (
    /^(?:Call-ID|i)\s*:\s*(.+)$/im.exec(text)?.[1] ??
    /^CSeq\s*:\s*(.+)$/im.exec(text)?.[1] ??
    ''
  ).trim();
}

interface Harness {
  readonly edge: TestEdge;
  readonly seen: Set<string>;
}

async function harness(teardown: (fn: () => unknown) => void): Promise<Harness> {
  const edge = await startTestEdge({ limits: { tcpPartialMessageTimeoutMs: 500 } });
  teardown(() => edge.close());
  const { srf } = await connectSrf(edge.appPort, edge.secret);
  teardown(() => srf.disconnect());
  const seen = new Set<string>();
  const app: SrfApp & Record<string, unknown> = srf as SrfApp & Record<string, unknown>;
  for (const verb of ['invite', 'options', 'register', 'message']) {
    (app[verb] as SrfApp['invite'])((req, res) => {
      seen.add(req.get('call-id') ?? '');
      res.send(verb === 'invite' ? 486 : 200);
    });
  }
  return { edge, seen };
}

function logged(edge: TestEdge, reason: string): boolean {
  return edge.logs.some((l) => l.reason === reason && /^(rejected|dropped|closed)/.test(l.msg));
}

const PROBE = (id: string, port: number): string =>
  [
    'OPTIONS sip:probe@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${id}`,
    'From: <sip:probe@127.0.0.1>;tag=p',
    'To: <sip:probe@127.0.0.1>',
    `Call-ID: ${id}`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

t.test('over UDP', async (t) => {
  const { edge, seen } = await harness((fn) => t.teardown(fn));
  const socket = dgram.createSocket('udp4');
  t.teardown(() => socket.close());
  const answers: { id: string; status: number }[] = [];
  socket.on('message', (m) => {
    const text = m.toString('latin1');
    answers.push({ id: idOf(text), status: Number(text.slice(8, 11)) });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const local = socket.address().port;
  let probes = 0;
  for (const [name, c] of Object.entries(CASES)) {
    await t.test(`${name} (RFC 4475 ${c.rfc})`, async (t) => {
      const data = readFileSync(path.join(DIR, `${name}.dat`));
      const id = idOf(data.toString('latin1'));
      socket.send(data, edge.sipPort, '127.0.0.1');
      const o = c.udp;
      if ('offered' in o) {
        await waitFor(() => seen.has(id), { message: `${name} offered to the app` });
        t.notOk(
          answers.some((a) => a.id === id && a.status === 400),
          'no 400',
        );
      } else if ('status' in o) {
        await waitFor(() => answers.some((a) => a.id === id && a.status === o.status), {
          message: `${o.status} for ${name}`,
        });
        t.pass(`answered ${o.status}`);
        if (o.reason) t.ok(logged(edge, o.reason), `rejection logged: ${o.reason}`);
      } else if ('dropped' in o) {
        // Datagrams are handled in order: once a later probe is answered, this one was dropped.
        const probe = `probe-${++probes}`;
        socket.send(PROBE(probe, local), edge.sipPort, '127.0.0.1');
        await waitFor(() => answers.some((a) => a.id === probe), { message: 'the probe answered' });
        t.notOk(
          answers.some((a) => a.id === id),
          'no answer',
        );
        if (o.reason) t.ok(logged(edge, o.reason), `drop logged: ${o.reason}`);
      }
    });
  }
  const probe = `probe-final`;
  socket.send(PROBE(probe, local), edge.sipPort, '127.0.0.1');
  await waitFor(() => answers.some((a) => a.id === probe), { message: 'the edge still answers' });
});

t.test('over TCP, one connection per message', async (t) => {
  const { edge, seen } = await harness((fn) => t.teardown(fn));
  for (const [name, c] of Object.entries(CASES)) {
    await t.test(`${name} (RFC 4475 ${c.rfc})`, async (t) => {
      const data = readFileSync(path.join(DIR, `${name}.dat`));
      const id = idOf(data.toString('latin1'));
      const answers: number[] = [];
      let closed = false;
      const socket = net.connect(edge.sipPort, '127.0.0.1');
      t.teardown(() => socket.destroy());
      socket.on('data', (d: Buffer) => {
        for (const m of d.toString('latin1').matchAll(/^SIP\/2\.0 (\d{3})/gm)) answers.push(Number(m[1]));
      });
      socket.on('close', () => {
        closed = true;
      });
      socket.on('error', () => {});
      socket.write(data);
      const o = c.tcp ?? c.udp;
      if ('offered' in o) {
        await waitFor(() => seen.has(id), { message: `${name} offered to the app` });
        t.notOk(answers.includes(400), 'no 400');
      } else if ('status' in o) {
        await waitFor(() => answers.includes(o.status), { message: `${o.status} for ${name}` });
        t.pass(`answered ${o.status}`);
        if (o.reason) t.ok(logged(edge, o.reason), `rejection logged: ${o.reason}`);
        if (o.closes) await waitFor(() => closed, { message: 'the edge closed the connection' });
      } else if ('closedIncomplete' in o) {
        await waitFor(() => closed, { message: 'the edge closed the connection holding a partial message' });
        t.same(answers, [], 'no answer to an incomplete message');
      } else {
        // Send a probe on the same connection: answered in order, so the case had no answer.
        socket.write(PROBE(`tcp-${name}`, 0).replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
        await waitFor(() => answers.length > 0, { message: 'the probe answered' });
        t.same(answers, [200], 'only the probe was answered');
        if (o.reason) t.ok(logged(edge, o.reason), `drop logged: ${o.reason}`);
      }
    });
  }
});
