// Vendor TLVs our aggregators read (SMPP 3.4 §5.3.2: 0x1400-0x3FFF are SMSC-vendor specific).
// The tags below are what our Indian aggregators use for TRAI DLT (PE_ID 0x1400, template 0x1401)
// and what our US aggregators take for the 10DLC campaign id (0x1500). One name per tag per process
// (the smpp package keys TLVs by tag); an aggregator with other tags needs a name of its own here.
import * as smpp from 'smpp';
import * as defs from 'smpp/lib/defs.js';

const VENDOR_TLVS = { dlt_entity_id: 0x1400, dlt_template_id: 0x1401, campaign_id: 0x1500 } as const;
let installed = false;

export function installVendorTlvs(): void {
  if (installed) return;
  installed = true;
  for (const [name, id] of Object.entries(VENDOR_TLVS))
    smpp.addTLV(name, { id, type: defs.types.tlv.cstring });
}
