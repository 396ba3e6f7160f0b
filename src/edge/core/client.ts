// Client transactions of the core: starting them, passing their responses to the app that sent
// the request (with drachtio's tokens), the UAC dialog state those responses create, and the
// requests the edge sends inside a dialog on its own (ACK, BYE).
import { sipFrame } from '../app/frames.js';
import type { Dialog } from '../dialogs/dialog.js';
import { parseAddressList } from '../sip/address.js';
import { getHeader, getHeaders, type SipResponse } from '../sip/message.js';
import { REASONS, serializeRequest, serializeResponse, type OutHeader } from '../sip/serialize.js';
import { InviteClientTransaction } from '../transactions/invite-client.js';
import { clientKey } from '../transactions/keys.js';
import { NonInviteClientTransaction } from '../transactions/non-invite-client.js';
import type { OutgoingRequest } from '../transactions/outgoing.js';
import type { Remote } from '../transport/types.js';
import { cdr, type StopReason } from './cdr.js';
import type { ClientTxn, Core, UacData } from './context.js';
import { removeDialog } from './dialog-end.js';
import { dialogRemote, hopFor } from './routing.js';

export function newUacData(owner: UacData['owner'], dialog: Dialog | undefined, initial: boolean): UacData {
  return {
    owner,
    dialog,
    dialogId: dialog?.id ?? '',
    endsDialog: false,
    initial,
    pendingCancel: undefined,
    cancelled: false,
    finalForwarded: false,
    guard: undefined,
  };
}

interface SharedClientHooks {
  response(t: ClientTxn, res: SipResponse): void;
  failed(t: ClientTxn, status: 408 | 503): void;
  terminated(t: ClientTxn): void;
}

/** One hooks object per core, shared by all its client transactions. */
const hooksByCore = new WeakMap<Core, SharedClientHooks>();

function clientHooks(core: Core): SharedClientHooks {
  let hooks = hooksByCore.get(core);
  if (!hooks) {
    hooks = {
      response: (t, res) => onResponse(core, t, res),
      failed: (t, status) => onFailed(core, t, status),
      terminated: (t) => {
        core.clients.remove(t);
        t.data.guard?.cancel();
      },
    };
    hooksByCore.set(core, hooks);
  }
  return hooks;
}

export function startClient(
  core: Core,
  id: string,
  request: OutgoingRequest,
  remote: Remote,
  data: UacData,
): ClientTxn {
  const key = clientKey(request.branch, request.method);
  const hooks = clientHooks(core);
  const txn: ClientTxn =
    request.method === 'INVITE'
      ? new InviteClientTransaction<UacData>(core.txn, key, id, request, remote, data, hooks)
      : new NonInviteClientTransaction<UacData>(core.txn, key, id, request, remote, data, hooks);
  core.clients.add(txn);
  txn.start();
  return txn;
}

function forward(core: Core, txn: ClientTxn, res: SipResponse): void {
  const owner = txn.data.owner;
  if (!owner?.isOpen) return;
  const o = res.origin;
  const meta = {
    source: 'network' as const,
    bytes: res.raw.length,
    protocol: o?.transport ?? '',
    address: o?.address ?? '',
    port: o?.port ?? 0,
  };
  owner.send(sipFrame(core.ids.uuid(), meta, txn.id, txn.data.dialogId, undefined, res.raw));
}

function onResponse(core: Core, txn: ClientTxn, res: SipResponse): void {
  const data = txn.data;
  const status = res.status;
  if (txn.request.method !== 'INVITE') {
    if (status === 100) return;
    forward(core, txn, res);
    if (status >= 200 && data.endsDialog && data.dialog) removeDialog(core, data.dialog);
    return;
  }
  // sofia-sip does not pass 100 Trying up to the application (NTATAG_PASS_100 is off).
  if (status === 100) {
    flushPendingCancel(core, txn);
    return;
  }
  const dialog = data.dialog;
  if (dialog && data.initial && status < 300 && res.core.toTag && !dialog.remoteTag) {
    dialog.remoteTag = res.core.toTag;
    dialog.remoteHeader = getHeader(res, 'to') ?? '';
    dialog.setRouteSet(getHeaders(res, 'record-route'));
    core.dialogs.indexLeg(dialog);
  }
  if (status < 200) {
    if (dialog && data.initial) refreshTarget(dialog, res);
    flushPendingCancel(core, txn);
    forward(core, txn, res);
    return;
  }
  if (status < 300 && data.finalForwarded) {
    // A retransmitted 2xx: the ACK already sent answers it again (RFC 3261 section 13.2.2.4).
    if (dialog?.lastAck) core.transports.send(dialog.lastAck.remote, dialog.lastAck.text);
    return;
  }
  data.finalForwarded = true;
  data.pendingCancel = undefined;
  data.guard?.cancel();
  if (status < 300 && dialog) {
    dialog.state = 'confirmed';
    dialog.inviteStatus = status;
    dialog.ackCSeq = txn.request.cseq;
    dialog.lastAck = undefined;
    refreshTarget(dialog, res);
  }
  forward(core, txn, res);
  if (!data.initial) return;
  if (status < 300) {
    cdr.start(core, 'network', 'uac', res.raw);
    if (!data.owner?.isOpen && dialog) {
      // Nobody will ACK this call: acknowledge it and hang up (RFC 3261 section 13.2.2.4).
      sendInDialog(core, dialog, 'ACK', []);
      endDialog(core, dialog, 'system-initiated-termination');
    }
    return;
  }
  cdr.stop(core, 'network', status === 487 ? 'call-canceled' : 'call-rejected', res.raw);
  if (dialog) removeDialog(core, dialog);
}

/** A response with a Contact refreshes the remote target of the UAC dialog. */
function refreshTarget(dialog: Dialog, res: SipResponse): void {
  const contact = getHeader(res, 'contact');
  const uri = contact ? parseAddressList(contact)?.[0]?.uri : undefined;
  if (uri) dialog.remoteTarget = uri;
}

/** Timer B/F, an unreachable peer, or the TU's own limit: the app gets a locally made response. */
function onFailed(core: Core, txn: ClientTxn, status: 408 | 503): void {
  const data = txn.data;
  const req = txn.request;
  // sofia writes the To of its own responses without angle brackets when nothing needs them.
  const bare = /^<([^>;?,]+)>$/.exec(req.to);
  const text = serializeResponse(status, REASONS[status] as string, {
    leading: [
      { name: 'Via', value: req.via },
      { name: 'From', value: req.from },
      { name: 'To', value: `${bare ? bare[1] : req.to};tag=${core.ids.tag()}` },
      { name: 'Call-ID', value: req.callId },
      { name: 'CSeq', value: `${req.cseq} ${req.method}` },
    ],
    extra: [],
    contentType: undefined,
    body: '',
  });
  data.finalForwarded = true;
  // drachtio reports a locally generated response as from the network, 0 bytes, no address.
  data.owner?.send(
    sipFrame(
      core.ids.uuid(),
      { source: 'network', bytes: 0, protocol: txn.remote.transport, address: '', port: 0 },
      txn.id,
      data.dialogId,
      undefined,
      text,
    ),
  );
  if (req.method === 'INVITE' && data.initial) cdr.stop(core, 'network', 'call-rejected', text);
  if (data.dialog && ((req.method === 'INVITE' && data.initial) || data.endsDialog))
    removeDialog(core, data.dialog);
}

/** RFC 3261 section 9.1: a CANCEL waits for a provisional response before it is sent. */
export function flushPendingCancel(core: Core, invite: ClientTxn): void {
  const pending = invite.data.pendingCancel;
  if (!pending) return;
  invite.data.pendingCancel = undefined;
  sendCancel(core, invite, pending.request, pending.id);
}

export function sendCancel(core: Core, invite: ClientTxn, cancel: OutgoingRequest, id: string): void {
  startClient(core, id, cancel, invite.remote, newUacData(undefined, undefined, false));
}

export interface InDialogParts {
  readonly extra: readonly OutHeader[];
  readonly contentType?: string | undefined;
  readonly body?: string;
  readonly contact?: string | undefined;
}

export type InDialogResult =
  { readonly txnId: string; readonly text: string; readonly remote: Remote } | { readonly error: string };

/**
 * Sends a request inside a dialog (RFC 3261 section 12.2.1.1): Request-URI and Route from the
 * route set and remote target, From/To/Call-ID from the dialog, the next CSeq (an ACK reuses the
 * INVITE's), a new branch. ACK has no transaction; everything else gets a client transaction
 * whose responses go to `owner`.
 */
export function sendInDialog(
  core: Core,
  dialog: Dialog,
  method: string,
  extra: readonly OutHeader[],
  parts: Omit<InDialogParts, 'extra'> = {},
  owner: UacData['owner'] = undefined,
): InDialogResult | Promise<InDialogResult> {
  const hop = hopFor(dialog);
  if (typeof hop === 'string') return { error: hop };
  const remote = dialogRemote(core, dialog, hop);
  const build = (dest: Remote | { error: string }): InDialogResult => {
    if ('error' in dest) return dest;
    const isAck = method === 'ACK';
    const cseq = isAck ? dialog.ackCSeq : ++dialog.localSeq;
    const branch = core.ids.branch();
    const via = core.transports.viaValue(dest.transport, branch);
    const leading: OutHeader[] = [
      { name: 'Via', value: via },
      { name: 'Max-Forwards', value: '70' },
    ];
    for (const r of hop.routes) leading.push({ name: 'Route', value: r });
    leading.push({ name: 'From', value: dialog.localHeader });
    leading.push({ name: 'To', value: dialog.remoteHeader });
    leading.push({ name: 'Call-ID', value: dialog.callId });
    leading.push({ name: 'CSeq', value: `${cseq} ${method}` });
    if (method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER') {
      leading.push({ name: 'Contact', value: parts.contact ?? dialog.localContact });
    }
    const text = serializeRequest(method, hop.ruri, {
      leading,
      extra,
      contentType: parts.contentType,
      body: parts.body ?? '',
    });
    const txnId = core.ids.uuid();
    if (isAck) {
      core.transports.send(dest, text);
      dialog.lastAck = { text, remote: dest };
      return { txnId, text, remote: dest };
    }
    const request: OutgoingRequest = {
      method,
      uri: hop.ruri,
      via,
      branch,
      from: dialog.localHeader,
      to: dialog.remoteHeader,
      callId: dialog.callId,
      cseq,
      routes: hop.routes,
      text,
    };
    const data = newUacData(owner, dialog, false);
    data.endsDialog = method === 'BYE';
    startClient(core, txnId, request, dest, data);
    return { txnId, text, remote: dest };
  };
  return remote instanceof Promise ? remote.then(build) : build(remote);
}

/**
 * Ends a dialog from the edge's side: a BYE to the peer, and to the app the same "unsolicited"
 * BYE notification drachtio-server sends (source application, transaction id `unsolicited`).
 */
export function endDialog(core: Core, dialog: Dialog, reason: StopReason): void {
  const owner = dialog.owner;
  const notify = (result: InDialogResult): void => {
    if ('error' in result) {
      core.log.warn({ dialogId: dialog.id, reason: result.error }, 'could not send BYE to end the dialog');
      return;
    }
    if (owner?.isOpen) {
      const meta = {
        source: 'application' as const,
        bytes: result.text.length,
        protocol: result.remote.transport,
        address: core.transports.advertisedHost,
        port: core.transports.port,
      };
      owner.send(sipFrame(core.ids.uuid(), meta, 'unsolicited', dialog.id, undefined, result.text));
    }
    cdr.stop(core, 'application', reason, result.text);
  };
  const sent = sendInDialog(core, dialog, 'BYE', []);
  removeDialog(core, dialog);
  if (sent instanceof Promise) void sent.then(notify);
  else notify(sent);
}
