// The non-INVITE server transaction (RFC 3261 section 17.2.2): retransmitted requests get the
// last response again, and after the final response the transaction lingers for Timer J (64*T1
// over UDP, none over reliable transports) to absorb them. If the TU never answers, the
// transaction goes away after the client's own give-up time (Timer F, 64*T1) so that a silent
// app cannot pin memory.
import type { SipRequest } from '../sip/message.js';
import { slimRequest } from '../sip/slim.js';
import type { Timer } from '../support/timer-wheel.js';
import type { Remote } from '../transport/types.js';
import type { TransactionContext } from './context.js';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface NonInviteServerHooks<T> {
  terminated(txn: NonInviteServerTransaction<T>): void;
}

export class NonInviteServerTransaction<T = unknown> {
  state: NonInviteServerState = 'trying';
  status = 0;
  private lastResponse: string | undefined;
  private timer: Timer | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    readonly key: string,
    readonly id: string,
    public request: SipRequest,
    readonly remote: Remote,
    readonly topVia: string,
    public toTag: string,
    /** What the transaction user keeps with this transaction. */
    readonly data: T,
    private readonly hooks: NonInviteServerHooks<T>,
  ) {
    this.timer = ctx.wheel.schedule(64 * ctx.timers.t1, () => this.terminate());
  }

  get reliable(): boolean {
    return this.remote.transport !== 'udp';
  }

  onRetransmission(): void {
    if (this.state !== 'trying' && this.lastResponse) this.ctx.send(this.remote, this.lastResponse);
  }

  respond(status: number, text: string): boolean {
    if (this.state !== 'trying' && this.state !== 'proceeding') return false;
    this.status = status;
    this.lastResponse = text;
    this.ctx.send(this.remote, text);
    if (status < 200) {
      this.state = 'proceeding';
      return true;
    }
    this.state = 'completed';
    this.request = slimRequest(this.request);
    this.timer?.cancel();
    // Timer J.
    this.timer = this.ctx.wheel.schedule(this.reliable ? 0 : 64 * this.ctx.timers.t1, () => this.terminate());
    return true;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timer?.cancel();
    this.hooks.terminated(this);
  }
}
