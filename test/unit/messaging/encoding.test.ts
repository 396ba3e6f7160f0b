import t from 'tap';
import {
  chooseEncoding,
  countParts,
  decodeShortMessage,
  decodeText,
  encodeMessage,
  parseUdh,
} from '../../../src/messaging/encoding.js';
import { decodeGsm, encodeGsm, fitsGsm } from '../../../src/messaging/gsm.js';

const reassemble = (text: string) => {
  const m = encodeMessage(text, 42);
  return m.parts.map((p) => decodeShortMessage(p.bytes, p.dataCoding, p.esmClass).text).join('');
};

t.test('GSM-7 single part', async (t) => {
  const m = encodeMessage('Hello world, your code is 1234.', 1);
  t.equal(m.encoding, 'gsm7');
  t.equal(m.parts.length, 1);
  t.equal(m.parts[0]!.dataCoding, 0);
  t.equal(m.parts[0]!.esmClass, 0);
  t.equal(m.parts[0]!.bytes.length, 31, 'one septet per character, unpacked');
  t.equal(decodeGsm(m.parts[0]!.bytes), 'Hello world, your code is 1234.');
  t.equal(encodeMessage('x'.repeat(160), 1).parts.length, 1, '160 septets fit one part');
  t.equal(encodeMessage('x'.repeat(161), 1).parts.length, 2, '161 septets need two');
});

t.test('200-character GSM-7 is two parts with an 8-bit concatenation UDH', async (t) => {
  const text = 'abcdefghij'.repeat(20);
  const m = encodeMessage(text, 0x1ab);
  t.equal(m.encoding, 'gsm7');
  t.equal(m.parts.length, 2);
  const [p1, p2] = m.parts;
  t.same([...p1!.bytes.subarray(0, 6)], [0x05, 0x00, 0x03, 0xab, 2, 1], 'UDH: IEI 0, ref & 0xff, total, seq');
  t.same([...p2!.bytes.subarray(0, 6)], [0x05, 0x00, 0x03, 0xab, 2, 2]);
  t.equal(p1!.bytes.length - 6, 153);
  t.equal(p2!.bytes.length - 6, 47);
  t.equal(p1!.esmClass & 0x40, 0x40, 'UDHI set');
  t.equal(reassemble(text), text);
});

t.test('extension-table characters count two septets', async (t) => {
  t.ok(fitsGsm('€[]{}'));
  const m = encodeMessage('€[]{}', 1);
  t.equal(m.encoding, 'gsm7');
  t.equal(m.units, 10);
  t.same([...encodeGsm('€')], [0x1b, 0x65]);
  t.same([...encodeGsm('[]{}')], [0x1b, 0x3c, 0x1b, 0x3e, 0x1b, 0x28, 0x1b, 0x29]);
  t.equal(decodeGsm(encodeGsm('€[]{}|^~\\')), '€[]{}|^~\\');
  t.equal(countParts('€'.repeat(80)).parts, 1, '80 euros = 160 septets');
  t.equal(countParts('€'.repeat(81)).parts, 2);
  // An escape pair is never split across parts: 152 plain septets then a euro.
  const text = 'a'.repeat(152) + '€' + 'b'.repeat(20);
  const parts = encodeMessage(text, 7).parts;
  t.equal(parts[0]!.bytes.length - 6, 152, 'the euro moved to the next part whole');
  t.equal(reassemble(text), text);
});

t.test('Unicode with emoji: UCS-2, parts, surrogate pairs kept whole', async (t) => {
  t.equal(chooseEncoding('Grüße 😀'), 'ucs2', 'emoji forces UCS-2');
  t.equal(chooseEncoding('Grüße'), 'gsm7', 'ü is in the GSM alphabet');
  const single = encodeMessage('Hi 😀', 1);
  t.equal(single.parts.length, 1);
  t.equal(single.parts[0]!.dataCoding, 8);
  t.same([...single.parts[0]!.bytes], [0, 0x48, 0, 0x69, 0, 0x20, 0xd8, 0x3d, 0xde, 0x00]);
  const text = 'Hello 😀 world '.repeat(10); // 150 UTF-16 units
  const m = encodeMessage(text, 3);
  t.equal(m.encoding, 'ucs2');
  t.equal(m.units, 150);
  t.equal(m.parts.length, 3);
  for (const p of m.parts) {
    t.ok(p.bytes.length - 6 <= 134, 'at most 67 units per part');
    const body = p.bytes.subarray(6);
    const last = body.readUInt16BE(body.length - 2);
    t.notOk(last >= 0xd800 && last <= 0xdbff, 'no part ends in a high surrogate');
  }
  t.equal(reassemble(text), text);
  t.equal(countParts(text).parts, 3);
});

t.test('inbound decoding per data_coding and UDH', async (t) => {
  t.equal(decodeText(Buffer.from('café', 'latin1'), 3), 'café', 'Latin-1');
  t.equal(decodeText(Buffer.from('plain', 'ascii'), 1), 'plain', 'IA5');
  t.equal(decodeText(Buffer.from([0, 0x41, 0xd8, 0x3d, 0xde, 0x00]), 8), 'A😀', 'UCS-2');
  t.equal(decodeText(encodeGsm('@£$ Ñ€'), 0), '@£$ Ñ€', 'GSM');
  const udh16 = Buffer.from([0x06, 0x08, 0x04, 0x12, 0x34, 3, 2]);
  t.same(parseUdh(Buffer.concat([udh16, Buffer.from('x')])), {
    concat: { ref: 0x1234, total: 3, seq: 2 },
    offset: 7,
  });
  const d = decodeShortMessage(Buffer.concat([udh16, encodeGsm('part')]), 0, 0x40);
  t.same(d, { text: 'part', concat: { ref: 0x1234, total: 3, seq: 2 } });
  t.throws(() => parseUdh(Buffer.from([0x09, 0x00, 0x03])), /UDH longer/);
  t.throws(() => encodeMessage('', 1), /empty/);
});
