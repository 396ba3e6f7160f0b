import t from 'tap';
import { FrameDecoder, encodeFrame } from '../../../src/edge/app/framing.js';
import { parseCommand } from '../../../src/edge/app/commands.js';
import { StreamFramer } from '../../../src/edge/transport/stream-framer.js';

t.test('app frames split and joined across reads', async (t) => {
  const d = new FrameDecoder();
  const wire = Buffer.from(encodeFrame('a|ping') + encodeFrame('b|route|invite'), 'latin1');
  t.same(d.push(wire.subarray(0, 3)).frames, []);
  t.same(d.push(wire.subarray(3)).frames, ['a|ping', 'b|route|invite']);
});

t.test('the length counts bytes, not characters', async (t) => {
  const payload = 'x|sip||\r\nMESSAGE sip:a SIP/2.0\r\nSubject: Zoë\r\n\r\n';
  const bytes = Buffer.from(payload, 'utf8');
  const d = new FrameDecoder();
  const frames = d.push(Buffer.concat([Buffer.from(`${bytes.length}#`), bytes])).frames;
  t.equal(Buffer.from(frames[0] ?? '', 'latin1').toString('utf8'), payload);
});

t.test('framing errors (table)', async (t) => {
  for (const [wire, name] of [
    ['123456#x', 'six length digits'],
    ['12a#x', 'a non-digit'],
    ['0#', 'zero length'],
  ]) {
    t.equal(
      new FrameDecoder().push(Buffer.from(wire as string)).error,
      'invalid message length specifier',
      name as string,
    );
  }
});

t.test('commands keep empty tokens', async (t) => {
  t.same(parseCommand('m|sip||dlg;from-tag=1\r\nBYE sip:x SIP/2.0\r\n\r\n'), {
    type: 'sip',
    msgId: 'm',
    txnId: '',
    dialogId: 'dlg;from-tag=1',
    routeUrl: '',
    sip: 'BYE sip:x SIP/2.0\r\n\r\n',
  });
  t.same(parseCommand('m|authenticate|s|a,b'), {
    type: 'authenticate',
    msgId: 'm',
    secret: 's',
    tags: ['a', 'b'],
  });
  t.equal(parseCommand('m|frobnicate')?.type, 'unknown');
});

t.test('the SIP stream framer', async (t) => {
  const f = new StreamFramer({ maxHeaderBytes: 1024, maxMessageBytes: 4096 });
  const m = 'OPTIONS sip:a SIP/2.0\r\nl: 3\r\n\r\nabc';
  t.same(f.push(Buffer.from('\r\n\r\n')), [{ type: 'ping' }], 'a double CRLF is a keep-alive ping');
  t.same(f.push(Buffer.from(m.slice(0, 10))), []);
  t.same(f.push(Buffer.from(m.slice(10) + m)), [
    { type: 'message', text: m },
    { type: 'message', text: m },
  ]);
  const bad = new StreamFramer({ maxHeaderBytes: 1024, maxMessageBytes: 4096 });
  t.equal(
    bad.push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 1\r\n\r\nx'))[0]?.type,
    'error',
    'two lengths',
  );
  const big = new StreamFramer({ maxHeaderBytes: 16, maxMessageBytes: 4096 });
  t.same(
    big.push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nX: 1234567890')).map((e) => e.type),
    ['error'],
    'header block too large',
  );
});
