// Forgetting dialogs: when they end, and when the app that handled them went away.
import type { AppConnection } from '../app/connection.js';
import type { Dialog } from '../dialogs/dialog.js';
import type { Core } from './context.js';
import { edgeResponse } from './responses.js';

export function removeDialog(core: Core, dialog: Dialog): void {
  core.dialogs.remove(dialog);
  // A dialog ended before its 2xx was acknowledged (a BYE overtaking the ACK): stop resending it.
  dialog.inviteServer?.onAck2xx();
  dialog.inviteServer = undefined;
}

/**
 * An app disconnected. Requests it was asked to answer get 503; its dialogs stay (a BYE from
 * the far end is still answered) but are forgotten after a while so that they cannot pile up;
 * its client transactions run to completion without reporting to anyone.
 */
export function releaseApp(core: Core, conn: AppConnection): void {
  for (const txn of core.servers.values()) {
    if (txn.data.owner !== conn) continue;
    txn.data.owner = undefined;
    if (txn.state === 'proceeding' || txn.state === 'trying') {
      txn.respond(503, edgeResponse(txn.request, txn.topVia, txn.toTag, 503));
    }
  }
  for (const txn of core.clients.values()) {
    if (txn.data.owner === conn) txn.data.owner = undefined;
  }
  for (const dialog of core.dialogs.values()) {
    if (dialog.owner !== conn) continue;
    dialog.owner = undefined;
    core.wheel.schedule(core.limits.orphanDialogTtlMs, () => {
      if (!dialog.owner) removeDialog(core, dialog);
    });
  }
}
