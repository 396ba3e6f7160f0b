// The `smpp` package decodes short_message and message_payload into text on arrival, guessing the
// encoding and mishandling some (GSM escapes, UDH with Latin-1). We decode ourselves (encoding.ts),
// so both fields stay raw bytes here: outbound we always pass Buffers (the package's encode filter
// passes Buffers through), inbound the decode filter is replaced by the identity. Installed once per
// process, before any session exists; the test SMSC in the same process sees raw bytes too.
import * as defs from 'smpp/lib/defs.js';

const identity = { encode: (v: unknown) => v, decode: (v: unknown) => v };
let installed = false;

export function installRawCodec(): void {
  if (installed) return;
  installed = true;
  for (const command of Object.values(defs.commands)) {
    const sm = command.params?.short_message;
    if (sm?.filter) sm.filter = identity;
  }
  const payload = defs.tlvs.message_payload;
  if (payload?.filter) payload.filter = identity;
}

export const SMPP_STATUS = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVCMDLEN: 0x02,
  ESME_RINVCMDID: 0x03,
  ESME_RINVBNDSTS: 0x04,
  ESME_RSYSERR: 0x08,
  ESME_RINVSRCADR: 0x0a,
  ESME_RINVDSTADR: 0x0b,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RMSGQFUL: 0x14,
  ESME_RSUBMITFAIL: 0x45,
  ESME_RTHROTTLED: 0x58,
  ESME_RX_T_APPN: 0x64,
  ESME_RX_P_APPN: 0x65,
  ESME_RX_R_APPN: 0x66,
} as const;

export const isThrottle = (status: number) =>
  status === SMPP_STATUS.ESME_RTHROTTLED || status === SMPP_STATUS.ESME_RMSGQFUL;

/** Statuses that say "try again later" rather than "this message is refused". */
export const isTemporary = (status: number) =>
  isThrottle(status) || status === SMPP_STATUS.ESME_RSYSERR || status === SMPP_STATUS.ESME_RX_T_APPN;
