// Number normalisation by carrier conventions: table-driven, results not throws.
import t from 'tap';
import {
  toE164,
  fromE164,
  uriUser,
  calledNumberOf,
  countryOfE164,
  type NumberingConvention,
} from '../../../src/routing/normalize.js';

const conv = (over: Partial<NumberingConvention>): NumberingConvention => ({
  numberFormat: 'e164',
  techPrefix: '',
  calledNumberIn: 'request-uri',
  ...over,
});

t.test('inbound numbers to E.164', async (t) => {
  const rows: [string, Partial<NumberingConvention>, string, string | undefined][] = [
    ['+12025550100', {}, '+12025550100', 'US'],
    ['12025550100', { numberFormat: 'e164_no_plus' }, '+12025550100', 'US'],
    ['+1 (202) 555-0100', {}, '+12025550100', 'US'],
    ['99#12025550100', { numberFormat: 'e164_no_plus', techPrefix: '99#' }, '+12025550100', 'US'],
    ['020 7946 0000', { numberFormat: 'national', nationalCountry: 'GB' }, '+442079460000', 'GB'],
    ['2025550100', { numberFormat: 'national', nationalCountry: 'US' }, '+12025550100', 'US'],
    ['4165550100', { numberFormat: 'national', nationalCountry: 'CA' }, '+14165550100', 'CA'],
    // A national-format carrier may still send an international number with its '+'.
    ['+33142685300', { numberFormat: 'national', nationalCountry: 'GB' }, '+33142685300', 'FR'],
    // ...or with its country's international prefix.
    ['0033142685300', { numberFormat: 'national', nationalCountry: 'GB' }, '+33142685300', 'FR'],
    ['5555#+491701234567', { techPrefix: '5555#' }, '+491701234567', 'DE'],
  ];
  for (const [raw, c, e164, country] of rows) {
    t.same(toE164(raw, conv(c)), { ok: true, e164, country }, `${raw} ${JSON.stringify(c)}`);
  }
});

t.test('clear failures, never a throw', async (t) => {
  const rows: [string | undefined, Partial<NumberingConvention>, string][] = [
    [undefined, {}, 'empty'],
    ['', {}, 'empty'],
    ['12025550100', { techPrefix: '99#' }, 'missing_tech_prefix'],
    ['99#', { techPrefix: '99#' }, 'empty'],
    ['+1202abc0100', {}, 'bad_characters'],
    ['1202;drop table', {}, 'bad_characters'],
    ['2025550100', { numberFormat: 'national' }, 'no_country'],
    ['+1202', {}, 'impossible_length'],
    ['+999123456789', {}, 'not_a_number'],
  ];
  for (const [raw, c, reason] of rows) {
    const r = toE164(raw, conv(c));
    t.equal(r.ok, false, `${raw} refused`);
    if (!r.ok) {
      t.equal(r.reason, reason, `${raw}: ${r.detail}`);
      t.ok(r.detail.length > 0);
    }
  }
});

t.test('outbound: E.164 written as the carrier expects it', async (t) => {
  t.equal(fromE164('+12025550100', conv({})), '+12025550100');
  t.equal(
    fromE164('+12025550100', conv({ numberFormat: 'e164_no_plus', techPrefix: '77#' })),
    '77#12025550100',
  );
  t.equal(
    fromE164('+442079460000', conv({ numberFormat: 'national', nationalCountry: 'GB' })),
    '02079460000',
  );
  t.equal(
    fromE164('+442079460000', conv({ numberFormat: 'national', nationalCountry: 'US' })),
    '011442079460000',
    'another country: dialled with the international prefix of the carrier country',
  );
});

t.test('the called number from the Request-URI or the To header', async (t) => {
  t.equal(uriUser('sip:+12025550100@10.0.0.1:5060;transport=udp'), '+12025550100');
  t.equal(uriUser('"Bob" <sip:2025550100;npdi;rn=123@carrier.example>;tag=x'), '2025550100');
  t.equal(uriUser('tel:+12025550100;phone-context=x'), '+12025550100');
  t.equal(uriUser('sip:%2B12025550100@h'), '+12025550100');
  t.equal(uriUser('mailto:x@y'), undefined);
  t.equal(uriUser(undefined), undefined);
  const msg = { requestUri: 'sip:gateway@10.0.0.5', to: '<sip:+442079460000@sbc.example>' };
  t.equal(calledNumberOf({ calledNumberIn: 'to' }, msg), '+442079460000');
  t.equal(calledNumberOf({ calledNumberIn: 'request-uri' }, msg), 'gateway');
});

t.test('country of an E.164 number (shared calling codes told apart)', async (t) => {
  t.equal(countryOfE164('+12025550100'), 'US');
  t.equal(countryOfE164('+14165550100'), 'CA');
  t.equal(countryOfE164('+442079460000'), 'GB');
});
