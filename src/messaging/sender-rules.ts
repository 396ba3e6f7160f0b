// Validation of an outbound message's numbers and sender, per destination country. Pure logic.
//
//   to      an E.164 number libphonenumber-js finds possible for its country
//   from    a number the customer owns (checked by the caller), or an alphanumeric sender ID
//           (1-11 letters, digits, spaces; at least one letter) where the destination allows one
//   US      (+1, NANP) no alphanumeric senders; from a long code, a 10DLC campaign id is required
//   India   (+91) DLT principal-entity id and content-template id are required
// The 10DLC campaign and DLT ids travel to the aggregator as TLVs (tlvs.ts).
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export interface SenderInput {
  from: string;
  to: string;
  campaignId?: string;
  dltEntityId?: string;
  dltTemplateId?: string;
}

export interface SenderCheck {
  to: string;
  from: string;
  senderKind: 'number' | 'alphanumeric';
  /** ISO country of the destination (when known) and its calling code. */
  country?: string;
  callingCode: string;
  tlvs: Record<string, string>;
}

export class SenderRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

// Destinations where an alphanumeric sender ID is not delivered (calling codes).
const NO_ALPHANUMERIC = new Set(['1', '86', '55', '54', '56', '57', '51', '52', '58', '593', '82']);

const ALPHANUMERIC = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
const CAMPAIGN = /^C[A-Z0-9]{6}$/;
const DLT_ID = /^[0-9]{10,30}$/;

export function checkSender(input: SenderInput): SenderCheck {
  const to = parsePhoneNumberFromString(input.to);
  if (!input.to.startsWith('+') || !to || !to.isPossible())
    throw new SenderRuleError('to', 'to must be a possible E.164 number, e.g. +14155550100');
  const callingCode = to.countryCallingCode;
  const country = to.country;
  const tlvs: Record<string, string> = {};
  let senderKind: SenderCheck['senderKind'];
  let from = input.from;
  if (input.from.startsWith('+')) {
    const f = parsePhoneNumberFromString(input.from);
    if (!f || !f.isPossible()) throw new SenderRuleError('from', 'from is not a possible E.164 number');
    from = f.number;
    senderKind = 'number';
  } else if (ALPHANUMERIC.test(input.from)) {
    if (NO_ALPHANUMERIC.has(callingCode))
      throw new SenderRuleError(
        'from',
        `alphanumeric sender IDs are not delivered to +${callingCode} destinations; send from a number`,
      );
    senderKind = 'alphanumeric';
  } else {
    throw new SenderRuleError(
      'from',
      'from must be an E.164 number or an alphanumeric sender ID of 1-11 letters, digits and spaces',
    );
  }

  if (country === 'US' || (callingCode === '1' && !country)) {
    if (!input.campaignId)
      throw new SenderRuleError(
        'campaignId',
        'US destinations need the 10DLC campaign id of the sending number',
      );
    if (!CAMPAIGN.test(input.campaignId))
      throw new SenderRuleError('campaignId', 'campaignId must look like C followed by 6 letters or digits');
    tlvs.campaign_id = input.campaignId;
  }
  if (callingCode === '91') {
    if (!input.dltEntityId || !input.dltTemplateId)
      throw new SenderRuleError('dlt', 'India destinations need dlt.entityId and dlt.templateId (TRAI DLT)');
    if (!DLT_ID.test(input.dltEntityId) || !DLT_ID.test(input.dltTemplateId))
      throw new SenderRuleError('dlt', 'DLT ids are 10-30 digits');
    tlvs.dlt_entity_id = input.dltEntityId;
    tlvs.dlt_template_id = input.dltTemplateId;
  }
  return { to: to.number, from, senderKind, ...(country ? { country } : {}), callingCode, tlvs };
}
