// The RFC 3261 section 17 state machines, driven by a hand-advanced clock: what is sent at each
// deadline, when the transaction ends, and what the transaction user is told.
import t from 'tap';
import { parseMessage } from '../../../src/edge/sip/parser.js';
import type { SipRequest, SipResponse } from '../../../src/edge/sip/message.js';
import { DEFAULT_TIMERS, type TransactionContext } from '../../../src/edge/transactions/context.js';
import { InviteClientTransaction } from '../../../src/edge/transactions/invite-client.js';
import { InviteServerTransaction } from '../../../src/edge/transactions/invite-server.js';
import { NonInviteClientTransaction } from '../../../src/edge/transactions/non-invite-client.js';
import type { OutgoingRequest } from '../../../src/edge/transactions/outgoing.js';
import { ManualScheduler } from '../../support/manual-scheduler.js';

const REMOTE = { transport: 'udp' as const, address: '192.0.2.1', port: 5060 };

function context(): { ctx: TransactionContext; clock: ManualScheduler; sent: string[] } {
  const clock = new ManualScheduler();
  const sent: string[] = [];
  const ctx: TransactionContext = {
    wheel: clock,
    timers: DEFAULT_TIMERS,
    send: (_r, text) => sent.push(text.split('\r\n')[0] as string),
  };
  return { ctx, clock, sent };
}

function parse(text: string): SipRequest | SipResponse {
  const r = parseMessage(text, { stream: false, maxHeaders: 64 });
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

const HEADERS =
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n';
const invite = parse(`INVITE sip:b@y SIP/2.0\r\n${HEADERS}Content-Length: 0\r\n\r\n`) as SipRequest;
const response = (status: number): SipResponse =>
  parse(
    `SIP/2.0 ${status} X\r\n${HEADERS.replace('To: <sip:b@y>', 'To: <sip:b@y>;tag=2')}Content-Length: 0\r\n\r\n`,
  ) as SipResponse;

function outgoing(method: string): OutgoingRequest {
  return {
    method,
    uri: 'sip:b@y',
    via: 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKout',
    branch: 'z9hG4bKout',
    from: '<sip:a@x>;tag=1',
    to: '<sip:b@y>',
    callId: 'c',
    cseq: 1,
    routes: [],
    text: `${method} sip:b@y SIP/2.0\r\n\r\n`,
  };
}

t.test('INVITE server: a 2xx is retransmitted T1, 2T1, 4T1... until its ACK', async (t) => {
  const { ctx, clock, sent } = context();
  let ackTimeouts = 0;
  const txn = new InviteServerTransaction(
    ctx,
    'k',
    'id',
    invite,
    REMOTE,
    'via',
    'tag',
    {},
    { terminated: () => {}, ackTimeout: () => ackTimeouts++ },
  );
  txn.respond(200, 'SIP/2.0 200 OK\r\n\r\n');
  clock.advance(500 + 1000 + 2000);
  t.equal(sent.length, 4, 'the 200 and three retransmissions');
  t.ok(txn.onAck2xx(), 'the ACK is taken');
  clock.advance(10_000);
  t.equal(sent.length, 4, 'no retransmission after the ACK');
  clock.advance(64 * 500);
  t.equal(txn.state, 'terminated', 'Timer L ends the transaction');
  t.equal(ackTimeouts, 0);
});

t.test('INVITE server: a 2xx never acknowledged is reported after 64*T1', async (t) => {
  const { ctx, clock } = context();
  let ackTimeouts = 0;
  const txn = new InviteServerTransaction(
    ctx,
    'k',
    'id',
    invite,
    REMOTE,
    'via',
    'tag',
    {},
    { terminated: () => {}, ackTimeout: () => ackTimeouts++ },
  );
  txn.respond(200, 'SIP/2.0 200 OK\r\n\r\n');
  clock.advance(64 * 500);
  t.equal(ackTimeouts, 1);
});

t.test('INVITE server: a failure is retransmitted (Timer G) until the ACK, which is absorbed', async (t) => {
  const { ctx, clock, sent } = context();
  const txn = new InviteServerTransaction(
    ctx,
    'k',
    'id',
    invite,
    REMOTE,
    'via',
    'tag',
    {},
    { terminated: () => {}, ackTimeout: () => {} },
  );
  txn.respond(486, 'SIP/2.0 486 Busy\r\n\r\n');
  clock.advance(500 + 1000);
  t.equal(sent.length, 3);
  txn.onAck();
  t.equal(txn.state, 'confirmed');
  clock.advance(4_000);
  t.equal(sent.length, 3, 'no more retransmissions');
  clock.advance(5_000);
  t.equal(txn.state, 'terminated', 'Timer I ends it');
});

t.test('INVITE client: Timer A retransmits, Timer B reports 408', async (t) => {
  const { ctx, clock, sent } = context();
  const failed: number[] = [];
  const txn = new InviteClientTransaction(
    ctx,
    'k',
    'id',
    outgoing('INVITE'),
    REMOTE,
    {},
    { response: () => {}, failed: (_t, s) => failed.push(s), terminated: () => {} },
  );
  txn.start();
  clock.advance(500 + 1000 + 2000 + 4000);
  t.equal(sent.length, 5, 'the INVITE and four retransmissions');
  clock.advance(64 * 500);
  t.same(failed, [408]);
  t.equal(txn.state, 'terminated');
});

t.test('INVITE client: a failure is ACKed, and ACKed again when retransmitted', async (t) => {
  const { ctx, sent } = context();
  const seen: number[] = [];
  const txn = new InviteClientTransaction(
    ctx,
    'k',
    'id',
    outgoing('INVITE'),
    REMOTE,
    {},
    { response: (_t, r) => seen.push(r.status), failed: () => {}, terminated: () => {} },
  );
  txn.start();
  txn.onResponse(response(180));
  txn.onResponse(response(503));
  txn.onResponse(response(503));
  t.same(seen, [180, 503], 'the TU sees the final response once');
  t.same(sent.filter((s) => s.startsWith('ACK')).length, 2, 'two ACKs');
});

t.test('non-INVITE client: Timer E caps at T2, Timer F reports 408', async (t) => {
  const { ctx, clock, sent } = context();
  const failed: number[] = [];
  const txn = new NonInviteClientTransaction(
    ctx,
    'k',
    'id',
    outgoing('OPTIONS'),
    REMOTE,
    {},
    { response: () => {}, failed: (_t, s) => failed.push(s), terminated: () => {} },
  );
  txn.start();
  clock.advance(500 + 1000 + 2000 + 4000 + 4000);
  t.equal(sent.length, 6, 'the request and retransmissions at 0.5, 1, 2, 4, 4 s');
  clock.advance(32_000);
  t.same(failed, [408]);
});
