// A dialog (RFC 3261 section 12): the state both legs of a call keep so that requests inside it
// reach the right place with the right identifiers. Its id is drachtio's:
// `<Call-ID>;from-tag=<From tag of the dialog-forming INVITE>` for both roles.
import type { AppConnection } from '../app/connection.js';
import { parseAddressList } from '../sip/address.js';
import type { InviteServerTransaction } from '../transactions/invite-server.js';
import type { Remote, TransportName } from '../transport/types.js';

export type DialogRole = 'uac' | 'uas';

export class Dialog {
  state: 'early' | 'confirmed' = 'early';
  /** Remote tag; empty on a UAC dialog until a response carries one. */
  remoteTag = '';
  /** To of the requests the edge sends in this dialog (the peer's URI and tag). */
  remoteHeader = '';
  remoteSeq: number | undefined;
  remoteTarget = '';
  /** Route set as header values, in the order the Route headers are written (section 12.1). */
  routeSet: string[] = [];
  /** The app handling this dialog; undefined once it disconnected. */
  owner: AppConnection | undefined;
  /** UAS: the INVITE server transaction whose 2xx awaits its ACK. */
  inviteServer: InviteServerTransaction<{ dialog: Dialog | undefined }> | undefined;
  /** CSeq number of the INVITE the edge sent whose 2xx the next ACK acknowledges, 0 when none is due. */
  ackCSeq = 0;
  /** UAC: the last ACK sent, resent when the 2xx is retransmitted. */
  lastAck: { text: string; remote: Remote } | undefined;
  /** UAC: final status of the dialog-forming INVITE (0 while pending). */
  inviteStatus = 0;
  /** For TCP: the connection the dialog was formed on, reused for requests inside it. */
  flow: Remote | undefined;

  constructor(
    readonly id: string,
    readonly callId: string,
    readonly role: DialogRole,
    readonly localTag: string,
    /** From of the requests the edge sends in this dialog (its own URI and tag). */
    readonly localHeader: string,
    public localSeq: number,
    readonly localContact: string,
    readonly transport: TransportName,
  ) {}

  get legKey(): string {
    return legKey(this.callId, this.localTag, this.remoteTag);
  }

  /** Route set from Record-Route: as received for a UAS, reversed for a UAC (section 12.1.2). */
  setRouteSet(recordRoutes: readonly string[]): void {
    const out: string[] = [];
    for (const value of recordRoutes) {
      const list = parseAddressList(value);
      if (!list) continue;
      for (const a of list) out.push(headerValueOf(a.uri, a.params));
    }
    this.routeSet = this.role === 'uac' ? out.reverse() : out;
  }
}

function headerValueOf(uri: string, params: ReadonlyMap<string, string | undefined>): string {
  let out = `<${uri}>`;
  for (const [k, v] of params) out += v === undefined ? `;${k}` : `;${k}=${v}`;
  return out;
}

export function legKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\n${localTag}\n${remoteTag}`;
}

export function dialogIdOf(callId: string, fromTag: string): string {
  return `${callId};from-tag=${fromTag}`;
}
