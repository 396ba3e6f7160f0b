// Requests from the network (the UAS side of the edge): transaction matching, the checks of
// RFC 3261 section 8.2 and 16.3 that the edge makes before an app sees anything, offering new
// requests to an app that routed their method, requests inside dialogs, CANCEL and ACK.
//
//   1. ACK: absorbed by its INVITE transaction (non-2xx) or passed to the dialog's app (2xx).
//   2. A retransmission: the matching server transaction answers it.
//   3. CANCEL: 200, then 487 for the INVITE, then the CANCEL to the app (drachtio's order).
//   4. New request: Request-URI scheme (416), Max-Forwards (483), loop (482), unknown method
//      (501), CSeq method (400); then inside a dialog (481 if unknown) or offered to an app
//      (503 when none routed the method, as drachtio-server does).
import { sipFrame } from '../app/frames.js';
import type { Dialog } from '../dialogs/dialog.js';
import type { SipRequest } from '../sip/message.js';
import { getHeader, isRfc3261Branch } from '../sip/message.js';
import { parseAddressList } from '../sip/address.js';
import { classifyRequestUri } from '../sip/uri.js';
import { parseViaList, stampReceived } from '../sip/via.js';
import { InviteServerTransaction } from '../transactions/invite-server.js';
import { clientKey, serverKey } from '../transactions/keys.js';
import { NonInviteServerTransaction } from '../transactions/non-invite-server.js';
import type { Inbound } from '../transport/types.js';
import { cdr } from './cdr.js';
import type { Core, ServerTxn, UasData } from './context.js';
import { endDialog } from './client.js';
import { removeDialog } from './dialog-end.js';
import { edgeResponse } from './responses.js';

const KNOWN_METHODS = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]);

/** Methods that only make sense inside a dialog: without a To tag they get 481. */
const DIALOG_ONLY = new Set(['BYE', 'UPDATE', 'PRACK']);

interface Received {
  readonly req: SipRequest;
  readonly inbound: Inbound;
  /** The top Via stamped with received/rport, for every response. */
  readonly topVia: string;
  /** The request as the app sees it (top Via line rewritten). */
  readonly text: string;
}

export function onRequest(
  core: Core,
  req: SipRequest,
  inbound: Inbound,
  topViaSpan: readonly [number, number] | undefined,
): void {
  const { remote } = inbound;
  const top = req.core.vias[0];
  if (!top) return;
  const stamped = stampReceived(top, remote.address, remote.port);
  const r: Received = {
    req,
    inbound,
    topVia: stamped.text,
    text: rewriteTopVia(req, topViaSpan, stamped.text),
  };
  if (req.method === 'ACK') {
    onAck(core, r);
    return;
  }
  const key = serverKey(req);
  const existing = core.servers.get(key);
  if (existing) {
    existing.onRetransmission();
    return;
  }
  if (req.method === 'CANCEL') {
    onCancel(core, r, key);
    return;
  }
  if (core.servers.full) {
    core.metrics.rejected('transaction table full');
    core.rejects.warn(
      { callId: req.core.callId, src: remote.address },
      'rejected request: transaction table full (503)',
    );
    core.transports.send(
      remote,
      edgeResponse(req, r.topVia, core.ids.tag(), 503, [{ name: 'Retry-After', value: '5' }]),
    );
    return;
  }
  if (classifyRequestUri(req.uri) === 'other')
    return reject(core, r, key, 416, 'unsupported Request-URI scheme');
  // RFC 3261 section 16.3 step 3; OPTIONS with Max-Forwards 0 is answered (section 11).
  if (req.core.maxForwards === 0 && req.method !== 'OPTIONS')
    return reject(core, r, key, 483, 'Max-Forwards exhausted');
  if (isLoop(core, req)) return reject(core, r, key, 482, 'loop detected');
  const verb = req.method.toLowerCase();
  if (!KNOWN_METHODS.has(req.method) && !core.registry.hasRoute(verb))
    return reject(core, r, key, 501, 'unknown method');
  // RFC 4475 3.1.2.17: the CSeq method must match the request's.
  if (req.core.cseq.method !== req.method)
    return reject(core, r, key, 400, 'CSeq method does not match the request method');
  if (req.core.toTag !== undefined) return inDialog(core, r, key);
  if (DIALOG_ONLY.has(req.method)) return reject(core, r, key, 481, 'request outside a dialog', false);
  offer(core, r, key);
}

function newServerTxn(core: Core, r: Received, key: string, data: UasData): ServerTxn {
  const id = core.ids.uuid();
  const tag = core.ids.tag();
  const terminated = (t: ServerTxn): void => {
    core.servers.remove(t);
    t.data.guard?.cancel();
  };
  const txn: ServerTxn =
    r.req.method === 'INVITE'
      ? new InviteServerTransaction<UasData>(
          core.txn,
          key,
          id,
          r.req,
          r.inbound.remote,
          r.topVia,
          tag,
          data,
          {
            terminated,
            ackTimeout: (t) => onAckTimeout(core, t),
          },
        )
      : new NonInviteServerTransaction<UasData>(
          core.txn,
          key,
          id,
          r.req,
          r.inbound.remote,
          r.topVia,
          tag,
          data,
          { terminated },
        );
  core.servers.add(txn);
  return txn;
}

function emptyData(): UasData {
  return { owner: undefined, dialogId: '', dialog: undefined, guard: undefined };
}

export function respondEdge(
  txn: ServerTxn,
  status: number,
  extra: { name: string; value: string }[] = [],
): void {
  txn.respond(status, edgeResponse(txn.request, txn.topVia, txn.toTag, status, extra));
}

function reject(core: Core, r: Received, key: string, status: number, reason: string, log = true): void {
  core.metrics.rejected(reason);
  if (log) {
    core.rejects.info(
      { callId: r.req.core.callId, src: r.inbound.remote.address, method: r.req.method, status, reason },
      `rejected request: ${reason}`,
    );
  }
  respondEdge(newServerTxn(core, r, key, emptyData()), status);
}

/** RFC 3261 section 16.3 step 4: a request carrying a Via the edge itself added is looping. */
function isLoop(core: Core, req: SipRequest): boolean {
  const vias = req.core.vias;
  for (let i = 0; i < vias.length; i++) {
    const v = vias[i];
    if (!v || !isRfc3261Branch(v.branch)) continue;
    if (
      v.port === core.transports.port &&
      core.localAddresses.has(v.host) &&
      core.clients.get(clientKey(v.branch, req.method))
    )
      return true;
  }
  return false;
}

function meta(r: Received, protocol?: string): Parameters<typeof sipFrame>[1] {
  return {
    source: 'network',
    bytes: r.req.raw.length,
    protocol: protocol ?? r.inbound.remote.transport,
    address: r.inbound.remote.address,
    port: r.inbound.remote.port,
  };
}

function offer(core: Core, r: Received, key: string): void {
  const { req } = r;
  const isInvite = req.method === 'INVITE';
  const app = core.registry.select(req.method.toLowerCase());
  const txn = newServerTxn(core, r, key, emptyData());
  if (txn instanceof InviteServerTransaction) txn.trying(edgeResponse(req, r.topVia, undefined, 100));
  if (!app || (isInvite && core.dialogs.full)) {
    if (isInvite) cdr.attempt(core, 'network', r.text);
    respondEdge(txn, 503);
    core.metrics.rejected(app ? 'dialog table full' : 'no app routed the method');
    core.rejects.info(
      { callId: req.core.callId, method: req.method },
      app ? 'rejected request: dialog table full (503)' : 'no app routed the method (503)',
    );
    return;
  }
  txn.data.owner = app;
  if (txn instanceof InviteServerTransaction) {
    txn.data.dialogId = `${req.core.callId};from-tag=${req.core.fromTag ?? ''}`;
    txn.data.guard = core.wheel.schedule(core.limits.inviteAnswerTimeoutMs, () => {
      if (txn.state === 'proceeding') respondEdge(txn, 408);
    });
  }
  const local =
    r.inbound.localAddress === '0.0.0.0' || r.inbound.localAddress === '::'
      ? core.transports.advertisedHost
      : r.inbound.localAddress;
  app.send(
    sipFrame(core.ids.uuid(), meta(r), txn.id, '', { address: local, port: r.inbound.localPort }, r.text),
  );
  if (isInvite) cdr.attempt(core, 'network', r.text);
  if (core.log.isLevelEnabled('debug'))
    core.log.debug(
      { callId: req.core.callId, method: req.method, app: app.id, txnId: txn.id },
      'request offered to app',
    );
}

function inDialog(core: Core, r: Received, key: string): void {
  const { req } = r;
  const dialog = core.dialogs.findLeg(req.core.callId, req.core.toTag as string, req.core.fromTag ?? '');
  if (!dialog) return reject(core, r, key, 481, 'no such dialog', false);
  // RFC 3261 section 12.2.2: a lower CSeq than the last one is out of order.
  if (dialog.remoteSeq !== undefined && req.core.cseq.seq <= dialog.remoteSeq)
    return reject(core, r, key, 500, 'CSeq out of order');
  dialog.remoteSeq = req.core.cseq.seq;
  const owner = dialog.owner;
  const txn = newServerTxn(core, r, key, {
    owner,
    dialogId: dialog.id,
    dialog,
    guard: undefined,
  });
  if (txn instanceof InviteServerTransaction) txn.trying(edgeResponse(req, r.topVia, undefined, 100));
  if (!owner || !owner.isOpen) {
    // The app that handled the dialog is gone: a BYE still ends it; anything else has no one to answer.
    if (req.method === 'BYE') {
      respondEdge(txn, 200);
      removeDialog(core, dialog);
    } else {
      respondEdge(txn, 481);
    }
    return;
  }
  if (req.method === 'INVITE' || req.method === 'UPDATE') refreshTarget(dialog, req);
  owner.send(sipFrame(core.ids.uuid(), meta(r), txn.id, dialog.id, undefined, r.text));
  if (req.method === 'BYE') {
    // drachtio removes the dialog as soon as the BYE is forwarded; the BYE's own transaction lives on.
    cdr.stop(core, 'network', 'normal-release', r.text);
    removeDialog(core, dialog);
  }
}

/** RFC 3261 section 12.2.2: a target refresh request replaces the remote target. */
function refreshTarget(dialog: Dialog, req: SipRequest): void {
  const contact = getHeader(req, 'contact');
  const uri = contact ? parseAddressList(contact)?.[0]?.uri : undefined;
  if (uri) dialog.remoteTarget = uri;
}

function onAck(core: Core, r: Received): void {
  const { req } = r;
  const txn = core.servers.get(serverKey(req));
  if (txn instanceof InviteServerTransaction && txn.state === 'completed') {
    txn.onAck();
    return;
  }
  const toTag = req.core.toTag;
  const dialog =
    toTag === undefined ? undefined : core.dialogs.findLeg(req.core.callId, toTag, req.core.fromTag ?? '');
  const invite = dialog?.inviteServer;
  if (!dialog || !invite || invite.cseq !== req.core.cseq.seq) {
    if (core.log.isLevelEnabled('debug'))
      core.log.debug({ callId: req.core.callId }, 'ACK matching no transaction or dialog dropped');
    return;
  }
  if (!invite.onAck2xx()) return;
  dialog.state = 'confirmed';
  dialog.inviteServer = undefined;
  // The lingering transaction no longer needs the dialog (only an ACK timeout would).
  invite.data.dialog = undefined;
  // drachtio passes the ACK for a 2xx with the INVITE's transaction id and an empty protocol token.
  dialog.owner?.send(sipFrame(core.ids.uuid(), meta(r, ''), invite.id, dialog.id, undefined, r.text));
}

function onCancel(core: Core, r: Received, key: string): void {
  const invite = core.servers.get(serverKey(r.req, 'INVITE'));
  const cancel = newServerTxn(core, r, key, emptyData());
  if (!(invite instanceof InviteServerTransaction)) {
    respondEdge(cancel, 481);
    return;
  }
  // RFC 3261 section 9.2: 200 for the CANCEL (with the INVITE's To tag), then 487 for the INVITE.
  cancel.respond(200, edgeResponse(r.req, r.topVia, invite.toTag, 200));
  if (invite.state !== 'proceeding') return;
  respondEdge(invite, 487);
  const data = invite.data;
  data.guard?.cancel();
  if (data.dialog) removeDialog(core, data.dialog);
  cdr.stop(core, 'network', 'call-canceled', r.text);
  if (data.owner?.isOpen)
    data.owner.send(sipFrame(core.ids.uuid(), meta(r), invite.id, data.dialogId, undefined, r.text));
}

/** RFC 3261 section 13.3.1.4: a 2xx never acknowledged ends the session with a BYE. */
function onAckTimeout(core: Core, txn: InviteServerTransaction<UasData>): void {
  const dialog = txn.data.dialog;
  if (!dialog || dialog.inviteServer !== txn) return;
  core.log.info({ callId: dialog.callId, dialogId: dialog.id }, 'no ACK for 2xx; ending the dialog with BYE');
  endDialog(core, dialog, 'system-initiated-termination');
}

/** The request text for the app: the top Via line replaced by its stamped form. */
function rewriteTopVia(
  req: SipRequest,
  span: readonly [number, number] | undefined,
  stamped: string,
): string {
  if (!span) return req.raw;
  const first = req.headers.find((h) => h.key === 'via');
  if (!first) return req.raw;
  const list = first.value.includes(',') ? parseViaList(first.value) : undefined;
  const rest =
    list && list.length > 1
      ? `, ${list
          .slice(1)
          .map((v) => v.text)
          .join(', ')}`
      : '';
  return `${req.raw.slice(0, span[0])}${first.name}: ${stamped}${rest}${req.raw.slice(span[1])}`;
}
