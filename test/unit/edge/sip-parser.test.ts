import t from 'tap';
import { parseMessage } from '../../../src/edge/sip/parser.js';

const UDP = { stream: false, maxHeaders: 64 };
const TCP = { stream: true, maxHeaders: 64 };

function msg(start: string, headers: string[], body = ''): string {
  return `${start}\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
}

const BASE = [
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc',
  'From: <sip:a@example.com>;tag=1',
  'To: <sip:b@example.com>',
  'Call-ID: x@y',
  'CSeq: 1 OPTIONS',
  'Max-Forwards: 70',
];

t.test('accepts a plain request and extracts its core', async (t) => {
  const r = parseMessage(msg('OPTIONS sip:b@example.com SIP/2.0', [...BASE, 'Content-Length: 0']), UDP);
  t.ok(r.ok);
  if (!r.ok || r.message.kind !== 'request') return;
  t.equal(r.message.method, 'OPTIONS');
  t.equal(r.message.core.callId, 'x@y');
  t.same(r.message.core.cseq, { seq: 1, method: 'OPTIONS' });
  t.equal(r.message.core.fromTag, '1');
  t.equal(r.message.core.toTag, undefined);
  t.equal(r.message.core.vias[0]?.branch, 'z9hG4bKabc');
  t.equal(r.message.core.vias[0]?.port, 5060);
});

t.test('rejections, each with its reason and status (table)', async (t) => {
  const rows: [string, string, number, string][] = [
    [
      'missing Call-ID',
      msg(
        'OPTIONS sip:b@example.com SIP/2.0',
        BASE.filter((h) => !h.startsWith('Call-ID')),
      ),
      400,
      'missing Call-ID',
    ],
    [
      'two CSeq',
      msg('OPTIONS sip:b@example.com SIP/2.0', [...BASE, 'CSeq: 2 OPTIONS']),
      400,
      'more than one cseq header field',
    ],
    [
      'CSeq too big',
      msg('OPTIONS sip:b@example.com SIP/2.0', [...BASE.slice(0, 4), 'CSeq: 4294967296 OPTIONS']),
      400,
      'invalid CSeq',
    ],
    [
      'Max-Forwards over 255',
      msg('OPTIONS sip:b@example.com SIP/2.0', [...BASE.slice(0, 5), 'Max-Forwards: 256']),
      400,
      'invalid Max-Forwards',
    ],
    [
      'negative Content-Length',
      msg('OPTIONS sip:b@example.com SIP/2.0', [...BASE, 'Content-Length: -1']),
      400,
      'invalid Content-Length',
    ],
    [
      'Content-Length past the end',
      msg('OPTIONS sip:b@example.com SIP/2.0', [...BASE, 'Content-Length: 10'], 'abc'),
      400,
      'Content-Length larger than the message',
    ],
    [
      'double space in request line',
      msg('OPTIONS  sip:b@example.com SIP/2.0', BASE),
      400,
      'malformed request line',
    ],
    ['SIP/3.0', msg('OPTIONS sip:b@example.com SIP/3.0', BASE), 505, 'unsupported SIP version'],
    ['bracketed Request-URI', msg('OPTIONS <sip:b@example.com> SIP/2.0', BASE), 400, 'malformed Request-URI'],
    [
      'unterminated quote in From',
      msg('OPTIONS sip:b@example.com SIP/2.0', [
        ...BASE.slice(0, 1),
        'From: "Bob <sip:a@example.com>;tag=1',
        ...BASE.slice(2),
      ]),
      400,
      'invalid From',
    ],
    [
      'empty Via params',
      msg('OPTIONS sip:b@example.com SIP/2.0', ['Via: SIP/2.0/UDP 192.0.2.1;;', ...BASE.slice(1)]),
      400,
      'invalid Via',
    ],
    [
      'header without colon',
      msg('OPTIONS sip:b@example.com SIP/2.0', [...BASE, 'Garbage']),
      400,
      'header line without a colon',
    ],
  ];
  for (const [name, text, status, reason] of rows) {
    const r = parseMessage(text, UDP);
    t.notOk(r.ok, `${name} is rejected`);
    if (!r.ok) t.same([r.status, r.reason], [status, reason], name);
  }
});

t.test('folded headers, compact forms and LWS around separators', async (t) => {
  const text = msg('INVITE sip:b@example.com SIP/2.0', [
    'v: SIP  /  2.0  / UDP   192.0.2.1 ;',
    '  branch  =  z9hG4bKfold',
    'f: <sip:a@example.com> ;  tag = abc',
    't: sip:b@example.com',
    'i: fold@x',
    'cseq: 0009',
    '  INVITE',
    'l: 0',
  ]);
  const r = parseMessage(text, UDP);
  t.ok(r.ok, 'parsed');
  if (!r.ok) return;
  t.equal(r.message.core.vias[0]?.branch, 'z9hG4bKfold');
  t.equal(r.message.core.fromTag, 'abc');
  t.same(r.message.core.cseq, { seq: 9, method: 'INVITE' });
  t.equal(r.message.core.maxForwards, undefined, 'a missing Max-Forwards is tolerated (RFC 2543)');
});

t.test('over UDP, octets past Content-Length are ignored; over TCP they must not exist', async (t) => {
  const text = msg('OPTIONS sip:b@example.com SIP/2.0', [...BASE, 'Content-Length: 2'], 'okNOISE');
  const udp = parseMessage(text, UDP);
  t.ok(udp.ok && udp.message.body === 'ok', 'UDP takes Content-Length bytes');
  const tcp = parseMessage(text, TCP);
  t.notOk(tcp.ok, 'TCP refuses a body of another length');
  const noLength = parseMessage(msg('OPTIONS sip:b@example.com SIP/2.0', BASE, 'abc'), UDP);
  t.ok(
    noLength.ok && noLength.message.body === 'abc',
    'UDP without Content-Length: body to the end of the datagram',
  );
});

t.test('bytes survive: a UTF-8 display name and a binary body', async (t) => {
  const display = Buffer.from('"Zoë"', 'utf8').toString('latin1');
  const body = '\u0000\u0001\u00ff';
  const text = msg(
    'MESSAGE sip:b@example.com SIP/2.0',
    [
      ...BASE.slice(0, 1),
      `From: ${display} <sip:a@example.com>;tag=1`,
      ...BASE.slice(2).map((h) => h.replace('OPTIONS', 'MESSAGE')),
      `Content-Length: ${body.length}`,
    ],
    body,
  );
  const r = parseMessage(text, UDP);
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.message.body, body);
  t.equal(
    Buffer.from(r.message.raw, 'latin1').toString('utf8').includes('Zoë'),
    true,
    'the UTF-8 name is intact',
  );
});

t.test('responses: status range and reason phrase', async (t) => {
  const ok = parseMessage(msg('SIP/2.0 100 ', BASE), UDP);
  t.ok(
    ok.ok && ok.message.kind === 'response' && ok.message.reason === '',
    'an empty reason phrase is valid',
  );
  const big = parseMessage(msg('SIP/2.0 4294967301 nope', BASE), UDP);
  t.notOk(big.ok, 'a status past 699 is refused');
  if (!big.ok) t.equal(big.status, 0, 'responses are never answered');
});
