// Responses an app sends to requests it was offered (`sip|<txnId>|` + a status line). The edge
// copies Via, From, Call-ID and CSeq from the stored request, adds its To tag (or the app's),
// adds Contact to 2xx for INVITE and Record-Route to dialog-forming responses, and creates,
// confirms or drops the UAS dialog, as drachtio-server does.
import type { AppConnection } from '../app/connection.js';
import { responseEchoFrame } from '../app/frames.js';
import { Dialog } from '../dialogs/dialog.js';
import { parseAddress, parseAddressList } from '../sip/address.js';
import { getHeader, getHeaders, type SipRequest } from '../sip/message.js';
import { REASONS, responseLeading, serializeResponse } from '../sip/serialize.js';
import { InviteServerTransaction } from '../transactions/invite-server.js';
import { extraHeaders, findHeader, localizeAddress, type AppMessage } from './app-message.js';
import { cdr } from './cdr.js';
import type { Core, UasData } from './context.js';
import { removeDialog } from './dialog-end.js';

const RESPONSE_OWNED = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'content-length',
  'max-forwards',
  'route',
  'record-route',
  'rseq',
  'contact',
  'content-type',
]);

export function responseFromApp(
  core: Core,
  conn: AppConnection,
  msgId: string,
  txnId: string,
  msg: AppMessage,
): void {
  const txn = core.servers.getById(txnId);
  const open = txn && (txn.state === 'proceeding' || txn.state === 'trying');
  if (!txn || !open) {
    conn.reply(msgId, 'NOK', 'Response not sent due to unknown transaction');
    return;
  }
  const req = txn.request;
  const status = msg.status;
  const isInvite = txn instanceof InviteServerTransaction;
  const initial = req.core.toTag === undefined;
  // drachtio lets the app choose the UAS tag by putting one on To.
  const appTo = findHeader(msg, 'to');
  const appTag = appTo === undefined ? undefined : parseAddress(appTo)?.params.get('tag');
  if (appTag && initial && status > 100) txn.toTag = appTag;
  const hostport = `${core.transports.advertisedHost}:${core.transports.port}`;
  const transport = txn.remote.transport;
  const formsDialog = isInvite && initial && status > 100 && status < 300;
  const leading = responseLeading(
    req,
    txn.topVia,
    status === 100 ? undefined : txn.toTag,
    formsDialog ? getHeaders(req, 'record-route') : [],
  );
  const appContact = findHeader(msg, 'contact');
  let contact: string | undefined;
  if (appContact !== undefined) contact = localizeAddress(appContact, hostport) ?? appContact;
  else if ((isInvite || req.method === 'SUBSCRIBE') && status >= 200 && status < 300)
    contact = `<${core.transports.contactUri(transport)}>`;
  if (contact !== undefined) leading.push({ name: 'Contact', value: contact });
  const contentType =
    findHeader(msg, 'content-type') ?? (msg.body.startsWith('v=0') ? 'application/sdp' : undefined);
  const text = serializeResponse(status, msg.reason || REASONS[status] || '', {
    leading,
    extra: extraHeaders(msg, RESPONSE_OWNED),
    contentType,
    body: msg.body,
  });
  txn.respond(status, text);
  if (status >= 200) txn.data.guard?.cancel();
  const dialogId = isInvite ? txn.data.dialogId : '';
  // drachtio leaves the protocol token empty in echoes of responses to non-INVITE requests.
  const meta = {
    source: 'application' as const,
    bytes: text.length,
    protocol: isInvite ? transport : '',
    address: txn.remote.address,
    port: txn.remote.port,
  };
  conn.send(responseEchoFrame(core.ids.uuid(), msgId, meta, txn.id, dialogId, text));
  if (isInvite) afterInviteResponse(core, txn, req, status, text, contact);
}

/** `req` is the INVITE as received: the transaction keeps only a slim copy after a final response. */
function afterInviteResponse(
  core: Core,
  txn: InviteServerTransaction<UasData>,
  req: SipRequest,
  status: number,
  text: string,
  contact: string | undefined,
): void {
  const data = txn.data;
  if (req.core.toTag !== undefined) {
    // A re-INVITE: its 2xx awaits an ACK through the dialog.
    if (status >= 200 && status < 300 && data.dialog) data.dialog.inviteServer = txn;
    return;
  }
  if (status > 100 && status < 300 && !data.dialog) data.dialog = createUasDialog(core, txn, req, contact);
  const dialog = data.dialog;
  if (status >= 200 && status < 300) {
    if (dialog) {
      dialog.state = 'confirmed';
      dialog.inviteServer = txn;
    }
    cdr.start(core, 'application', 'uas', text);
  } else if (status >= 300) {
    if (dialog) removeDialog(core, dialog);
    data.dialog = undefined;
    cdr.stop(core, 'application', 'call-rejected', text);
  }
}

/** RFC 3261 section 12.1.1: the UAS dialog, from the INVITE and the response that creates it. */
function createUasDialog(
  core: Core,
  txn: InviteServerTransaction<UasData>,
  req: SipRequest,
  contact: string | undefined,
): Dialog {
  const to = getHeader(req, 'to') ?? '';
  const localContact = contact ?? `<${core.transports.contactUri(txn.remote.transport)}>`;
  const dialog = new Dialog(
    txn.data.dialogId,
    req.core.callId,
    'uas',
    txn.toTag,
    `${to};tag=${txn.toTag}`,
    core.ids.nextCSeq(),
    localContact,
    txn.remote.transport,
  );
  dialog.remoteTag = req.core.fromTag ?? '';
  dialog.remoteHeader = getHeader(req, 'from') ?? '';
  dialog.remoteSeq = req.core.cseq.seq;
  const remoteContact = getHeader(req, 'contact');
  dialog.remoteTarget = (remoteContact ? parseAddressList(remoteContact)?.[0]?.uri : undefined) ?? '';
  dialog.setRouteSet(getHeaders(req, 'record-route'));
  dialog.owner = txn.data.owner;
  if (txn.remote.transport === 'tcp') dialog.flow = txn.remote;
  core.dialogs.add(dialog);
  return dialog;
}
