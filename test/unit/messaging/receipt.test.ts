import t from 'tap';
import {
  canonicalReceiptId,
  canonicalRespId,
  formatReceiptText,
  isReceipt,
  parseReceipt,
} from '../../../src/messaging/receipt.js';

t.test('text receipts', async (t) => {
  const r = parseReceipt({
    text: 'id:0012345 sub:001 dlvrd:001 submit date:2611230101 done date:2611230102 stat:DELIVRD err:000 text:id:999 stat:UNDELIV',
  });
  t.same(
    r,
    { id: '0012345', stat: 'DELIVRD', status: 'delivered', err: '000' },
    'the sample after text: is ignored',
  );
  t.equal(
    parseReceipt({ text: formatReceiptText({ id: 'abc', stat: 'UNDELIV', err: '012' }) })?.status,
    'undelivered',
  );
  t.equal(parseReceipt({ text: 'stat:DELIVRD' }), undefined, 'no id: not a receipt');
  t.equal(parseReceipt({ text: 'id:1 stat:REJECTD' })?.status, 'failed');
  t.equal(parseReceipt({ text: 'id:1 stat:ENROUTE' })?.status, 'sent');
});

t.test('TLV receipts take precedence over the text', async (t) => {
  const r = parseReceipt({ text: 'id:1 stat:UNDELIV', receiptedMessageId: 'ABC\0', messageState: 2 });
  t.same(r, { id: 'ABC', stat: 'DELIVRD', status: 'delivered' });
  const u = parseReceipt({
    receiptedMessageId: '77',
    messageState: 5,
    networkErrorCode: Buffer.from([3, 0, 21]),
  });
  t.same(u, { id: '77', stat: 'UNDELIV', status: 'undelivered', err: '21' });
});

t.test('esm_class', async (t) => {
  t.ok(isReceipt(0x04));
  t.notOk(isReceipt(0x00));
  t.notOk(isReceipt(0x40), 'UDHI alone is a plain message');
});

t.test('id normalisation: hex, decimal, leading zeros', async (t) => {
  t.equal(canonicalRespId('000ABc'), 'abc');
  t.equal(canonicalRespId('0'), '0');
  t.equal(canonicalReceiptId('0abc', 'as-is'), canonicalRespId('ABC'));
  // Decimal in submit_sm_resp, hex in the receipt.
  t.equal(canonicalReceiptId('FF', 'hex'), canonicalRespId('255'));
  t.equal(canonicalReceiptId('00ff', 'hex'), canonicalRespId('0255'));
  // Hex in submit_sm_resp, decimal in the receipt.
  t.equal(canonicalReceiptId('000255', 'decimal'), canonicalRespId('00FF'));
  t.equal(
    canonicalReceiptId('18446744073709551615', 'decimal'),
    canonicalRespId('FFFFFFFFFFFFFFFF'),
    'beyond 2^53',
  );
  t.equal(canonicalReceiptId('xyz', 'hex'), undefined);
  t.equal(canonicalReceiptId('12a', 'decimal'), undefined);
});
