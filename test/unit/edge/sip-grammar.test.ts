import t from 'tap';
import { formatAddress, parseAddress, parseAddressList } from '../../../src/edge/sip/address.js';
import { classifyRequestUri, parseSipUri } from '../../../src/edge/sip/uri.js';
import { parseViaList, stampReceived } from '../../../src/edge/sip/via.js';

t.test('addresses (table)', async (t) => {
  const rows: [string, string | undefined, string | undefined][] = [
    ['<sip:a@example.com>;tag=1', 'sip:a@example.com', '1'],
    ['"Bob \\"B\\"" <sip:b@example.com>;tag=x', 'sip:b@example.com', 'x'],
    ['Bob <sip:b@example.com>', 'sip:b@example.com', undefined],
    ['sip:b@example.com;tag=9', 'sip:b@example.com', '9'],
    ['caller<sip:caller@example.com>;tag=323', 'sip:caller@example.com', '323'],
    ['isbn:2983792873', 'isbn:2983792873', undefined],
    ['Watson, Thomas <sip:t@example.org>', undefined, undefined],
    ['"unbalanced <sip:t@example.org>', undefined, undefined],
    ['< sip:t@example.org >', undefined, undefined],
    ['sip:u@example.com?Route=x', undefined, undefined],
  ];
  for (const [value, uri, tag] of rows) {
    const a = parseAddress(value);
    t.equal(a?.uri, uri, `uri of ${value}`);
    t.equal(a?.params.get('tag'), tag, `tag of ${value}`);
  }
  t.equal(parseAddressList('<sip:a@x>, <sip:b@y>;lr')?.length, 2, 'a list of two');
  t.equal(formatAddress({ uri: 'sip:a@x', params: new Map([['tag', '1']]) }), '<sip:a@x>;tag=1');
});

t.test('SIP URIs', async (t) => {
  const u = parseSipUri('sip:user;par=u%40example.net@example.com:5070;transport=TCP;lr');
  t.equal(u?.user, 'user;par=u%40example.net');
  t.equal(u?.host, 'example.com');
  t.equal(u?.port, 5070);
  t.equal(u?.params.get('transport'), 'TCP');
  t.ok(u?.params.has('lr'));
  t.equal(parseSipUri('sip:[2001:db8::1]:5060')?.host, '[2001:db8::1]');
  t.equal(parseSipUri('sip:host:99999'), undefined, 'port out of range');
  t.same(['sip:a@b', 'tel:+123', 'soap.beep://x', '<sip:a@b>'].map(classifyRequestUri), [
    'sip',
    'tel',
    'other',
    'invalid',
  ]);
});

t.test('Via lists and received/rport stamping', async (t) => {
  const vias = parseViaList(
    'SIP/2.0/UDP a.example.com:5060;branch=z9hG4bK1, SIP / 2.0 / TCP b.example.com ;branch=z9hG4bK2;received=192.0.2.1',
  );
  t.equal(vias?.length, 2);
  t.equal(vias?.[1]?.transport, 'TCP');
  t.equal(vias?.[1]?.params.get('received'), '192.0.2.1');
  const stamped = stampReceived(vias![0]!, '192.0.2.9', 5070);
  t.equal(stamped.text, 'SIP/2.0/UDP a.example.com:5060;branch=z9hG4bK1;received=192.0.2.9;rport=5070');
  const rport = parseViaList('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK3;rport')![0]!;
  t.equal(
    stampReceived(rport, '127.0.0.1', 5070).text,
    'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK3;rport=5070',
    'rport filled, no received for the same address',
  );
  t.equal(parseViaList('SIP/2.0/UDP'), undefined, 'no sent-by');
});
