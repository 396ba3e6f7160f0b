// The state and dependencies the SIP core's modules share, built once per edge by edge.ts.
import type { Logger } from 'pino';
import type { AppConnection } from '../app/connection.js';
import type { AppRegistry } from '../app/registry.js';
import type { Dialog } from '../dialogs/dialog.js';
import type { DialogStore } from '../dialogs/dialog-store.js';
import type { EdgeMetrics } from '../metrics.js';
import type { IdGenerator } from '../support/ids.js';
import type { RateLimitedLog } from '../support/rate-limited-log.js';
import type { Timer, TimerWheel } from '../support/timer-wheel.js';
import type { TransactionContext } from '../transactions/context.js';
import type { InviteClientTransaction } from '../transactions/invite-client.js';
import type { InviteServerTransaction } from '../transactions/invite-server.js';
import type { NonInviteClientTransaction } from '../transactions/non-invite-client.js';
import type { NonInviteServerTransaction } from '../transactions/non-invite-server.js';
import type { OutgoingRequest } from '../transactions/outgoing.js';
import type { TransactionTable } from '../transactions/table.js';
import type { ReachabilityProbe } from '../transport/reachability.js';
import type { Resolver } from '../transport/resolve.js';
import type { Transports } from '../transport/transports.js';

/** What the core keeps with a server transaction. */
export interface UasData {
  /** The app the request was offered to. */
  owner: AppConnection | undefined;
  /** Dialog id token: set for INVITEs and for requests inside a dialog. */
  dialogId: string;
  dialog: Dialog | undefined;
  guard: Timer | undefined;
}

/** What the core keeps with a client transaction. */
export interface UacData {
  owner: AppConnection | undefined;
  dialog: Dialog | undefined;
  dialogId: string;
  /** A BYE: the dialog ends with its final response. */
  endsDialog: boolean;
  /** An INVITE creating a new dialog (as opposed to a re-INVITE). */
  initial: boolean;
  /** A CANCEL the app asked for before any provisional response (RFC 3261 section 9.1). */
  pendingCancel: { readonly request: OutgoingRequest; readonly id: string } | undefined;
  cancelled: boolean;
  /** The final response was passed to the app (later 2xx are retransmissions). */
  finalForwarded: boolean;
  guard: Timer | undefined;
}

export type ServerTxn = InviteServerTransaction<UasData> | NonInviteServerTransaction<UasData>;
export type ClientTxn = InviteClientTransaction<UacData> | NonInviteClientTransaction<UacData>;

export interface CoreLimits {
  readonly maxMessageHeaders: number;
  /** An INVITE the app neither answers nor rejects gets 408 after this long. */
  readonly inviteAnswerTimeoutMs: number;
  /** An outgoing INVITE without a final response is cancelled after this long (Timer C). */
  readonly timerCMs: number;
  /** Dialogs whose app disconnected are forgotten after this long. */
  readonly orphanDialogTtlMs: number;
}

export interface Core {
  readonly log: Logger;
  readonly rejects: RateLimitedLog;
  readonly ids: IdGenerator;
  readonly wheel: TimerWheel;
  readonly txn: TransactionContext;
  readonly transports: Transports;
  readonly resolver: Resolver;
  readonly probe: ReachabilityProbe;
  readonly registry: AppRegistry;
  readonly servers: TransactionTable<ServerTxn>;
  readonly clients: TransactionTable<ClientTxn>;
  readonly dialogs: DialogStore;
  readonly metrics: EdgeMetrics;
  readonly limits: CoreLimits;
  /** Local addresses of the edge, for loop checks ("can not send request to myself"). */
  readonly localAddresses: ReadonlySet<string>;
}
