// The `sip` command of the app protocol: a response to a request the app was offered, or a
// request to send (see uac.ts for how its ids select what kind).
import type { AppCommand } from '../app/commands.js';
import type { AppConnection } from '../app/connection.js';
import { parseAppMessage } from './app-message.js';
import { responseFromApp } from './app-responses.js';
import type { Core } from './context.js';
import { requestFromApp } from './uac.js';

export function onAppSip(
  core: Core,
  conn: AppConnection,
  command: Extract<AppCommand, { type: 'sip' }>,
): void {
  const msg = parseAppMessage(command.sip);
  if (typeof msg === 'string') {
    conn.reply(command.msgId, 'NOK', msg);
    return;
  }
  if (msg.isResponse) {
    if (!command.txnId) conn.reply(command.msgId, 'NOK', 'transaction id missing');
    else responseFromApp(core, conn, command.msgId, command.txnId, msg);
    return;
  }
  requestFromApp(core, conn, command.msgId, command.txnId, command.dialogId, command.routeUrl, msg);
}
