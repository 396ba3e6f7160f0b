// The non-INVITE client transaction (RFC 3261 section 17.1.2): Timer E retransmits over UDP
// (T1 doubling to T2, then every T2 once a provisional response arrived), Timer F gives up
// after 64*T1, and Timer K absorbs retransmitted final responses.
import type { SipResponse } from '../sip/message.js';
import type { Timer } from '../support/timer-wheel.js';
import type { Remote } from '../transport/types.js';
import type { TransactionContext } from './context.js';
import type { ClientHooks } from './invite-client.js';
import type { OutgoingRequest } from './outgoing.js';

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteClientTransaction<T = unknown> {
  state: NonInviteClientState = 'trying';
  status = 0;
  private timerE: Timer | undefined;
  private timerF: Timer | undefined;
  private timerK: Timer | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    readonly key: string,
    readonly id: string,
    public request: OutgoingRequest,
    readonly remote: Remote,
    readonly data: T,
    private readonly hooks: ClientHooks<NonInviteClientTransaction<T>>,
  ) {}

  get reliable(): boolean {
    return this.remote.transport !== 'udp';
  }

  start(): void {
    const { t1 } = this.ctx.timers;
    this.ctx.send(this.remote, this.request.text, () => this.fail(503));
    if (!this.reliable) this.scheduleE(t1);
    this.timerF = this.ctx.wheel.schedule(64 * t1, () => this.fail(408));
  }

  unreachable(): void {
    this.fail(503);
  }

  onResponse(response: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.status = response.status;
    if (response.status < 200) {
      this.state = 'proceeding';
      this.hooks.response(this, response);
      return;
    }
    this.state = 'completed';
    this.request = { ...this.request, text: '' };
    this.timerE?.cancel();
    this.timerF?.cancel();
    this.timerK = this.ctx.wheel.schedule(this.reliable ? 0 : this.ctx.timers.t4, () => this.terminate());
    this.hooks.response(this, response);
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerE?.cancel();
    this.timerF?.cancel();
    this.timerK?.cancel();
    this.hooks.terminated(this);
  }

  private fail(status: 408 | 503): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.status = status;
    this.hooks.failed(this, status);
    this.terminate();
  }

  private scheduleE(interval: number): void {
    this.timerE = this.ctx.wheel.schedule(interval, () => {
      if (this.state !== 'trying' && this.state !== 'proceeding') return;
      this.ctx.send(this.remote, this.request.text);
      const next =
        this.state === 'proceeding' ? this.ctx.timers.t2 : Math.min(interval * 2, this.ctx.timers.t2);
      this.scheduleE(next);
    });
  }
}
