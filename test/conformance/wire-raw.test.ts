// Flow h of test/fixtures/drachtio-wire/: a raw client (no srf) sends a wrong secret, a ping
// before authenticate, route/remove_route with arbitrary verbs and an unknown command. The
// frames must match the transcript, and the edge must close the connection where drachtio did.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { WIRE_DIR } from '../support/conformance.js';
import {
  compareTranscripts,
  parseTranscript,
  summarise,
  type Frame,
} from '../support/drachtio-transcript.js';
import { startTestEdge } from '../support/edge.js';
import { waitFor } from '../support/wait.js';

interface RawClient {
  send(payload: string): void;
  readonly received: string[];
  readonly closed: boolean;
  end(): void;
}

function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(client));
    const received: string[] = [];
    let buf = Buffer.alloc(0);
    let closed = false;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const hash = buf.indexOf('#');
        if (hash <= 0) return;
        const len = Number(buf.toString('latin1', 0, hash));
        if (buf.length < hash + 1 + len) return;
        received.push(buf.toString('latin1', hash + 1, hash + 1 + len));
        buf = buf.subarray(hash + 1 + len);
      }
    });
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => {});
    const client: RawClient = {
      send: (payload) => socket.write(`${Buffer.byteLength(payload)}#${payload}`),
      received,
      get closed() {
        return closed;
      },
      end: () => socket.end(),
    };
  });
}

t.test('h-raw-edge-cases: secret, ping, route verbs and unknown commands', async (t) => {
  const edge = await startTestEdge({ app: { host: '127.0.0.1', port: 0, secret: 'cymru' } });
  t.teardown(() => edge.close());
  const frames: Frame[] = [];
  const exchange = async (c: RawClient, payload: string): Promise<void> => {
    const before = c.received.length;
    frames.push({ direction: 'app->server', payload });
    c.send(payload);
    await waitFor(() => c.received.length > before, { message: `a reply to ${payload}` });
    frames.push({ direction: 'server->app', payload: c.received[before] as string });
  };

  const bad = await rawClient(edge.appPort);
  await exchange(bad, 'id-1|authenticate|wrong|');
  await waitFor(() => bad.closed, { message: 'the edge closed the connection after a bad secret' });

  const early = await rawClient(edge.appPort);
  await exchange(early, 'id-2|ping');
  t.notOk(early.closed, 'a ping before authenticate keeps the connection open');
  early.end();

  const verbs = await rawClient(edge.appPort);
  await exchange(verbs, 'id-3|authenticate|cymru|tag1,tag2');
  await exchange(verbs, 'id-4|route|message');
  await exchange(verbs, 'id-5|remove_route|message');
  await exchange(verbs, 'id-6|route|bogus');
  await exchange(verbs, 'id-7|frobnicate|x');
  await waitFor(() => verbs.closed, { message: 'the edge closed the connection after an unknown command' });

  const expected = parseTranscript(readFileSync(path.join(WIRE_DIR, 'h-raw-edge-cases.txt'), 'latin1'));
  const diffs = compareTranscripts(expected, frames);
  t.same(diffs, [], diffs.length ? summarise(frames) : 'frames match the transcript');
});
