// The INVITE client transaction (RFC 3261 section 17.1.1, with the Accepted state of RFC 6026
// section 7.2): Timer A retransmits over UDP, Timer B gives up, a non-2xx final response is
// ACKed here and its retransmissions are ACKed again during Timer D, and 2xx responses (first
// and retransmitted) go to the TU, which owns the ACK for them.
import type { SipResponse } from '../sip/message.js';
import type { Timer } from '../support/timer-wheel.js';
import type { Remote } from '../transport/types.js';
import type { TransactionContext } from './context.js';
import { ackForFailure, type OutgoingRequest } from './outgoing.js';

export type InviteClientState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

export interface ClientHooks<C> {
  response(txn: C, response: SipResponse): void;
  /** Timer B/F fired, or the transport failed: the TU reports a locally made final response. */
  failed(txn: C, status: 408 | 503): void;
  terminated(txn: C): void;
}

export class InviteClientTransaction<T = unknown> {
  state: InviteClientState = 'calling';
  /** Highest status received so far (0 before any response). */
  status = 0;
  private timerA: Timer | undefined;
  private timerB: Timer | undefined;
  private timerEnd: Timer | undefined;
  private ack: string | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    readonly key: string,
    readonly id: string,
    public request: OutgoingRequest,
    readonly remote: Remote,
    readonly data: T,
    private readonly hooks: ClientHooks<InviteClientTransaction<T>>,
  ) {}

  get reliable(): boolean {
    return this.remote.transport !== 'udp';
  }

  start(): void {
    const { t1 } = this.ctx.timers;
    this.ctx.send(this.remote, this.request.text, () => this.fail(503));
    if (!this.reliable) this.scheduleA(t1);
    this.timerB = this.ctx.wheel.schedule(64 * t1, () => this.fail(408));
  }

  /** The transport reported the peer unreachable (ICMP, refused connection). */
  unreachable(): void {
    this.fail(503);
  }

  /** The TU's own limit on waiting for a final response (a Timer C of sorts) ran out. */
  expire(): void {
    this.fail(408);
  }

  onResponse(response: SipResponse): void {
    const code = response.status;
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (code < 200) {
          this.state = 'proceeding';
          this.timerA?.cancel();
          this.timerB?.cancel();
          this.status = Math.max(this.status, code);
          this.hooks.response(this, response);
          return;
        }
        this.timerA?.cancel();
        this.timerB?.cancel();
        this.status = code;
        // The request is not retransmitted any more: keep its fields, not its text.
        this.request = { ...this.request, text: '' };
        if (code < 300) {
          this.state = 'accepted';
          // RFC 6026 Timer M: keep passing 2xx retransmissions to the TU.
          this.timerEnd = this.ctx.wheel.schedule(64 * this.ctx.timers.t1, () => this.terminate());
        } else {
          this.state = 'completed';
          this.ack = ackForFailure(this.request, response);
          this.ctx.send(this.remote, this.ack);
          // Timer D: at least 32 s over UDP to absorb retransmissions of the final response.
          this.timerEnd = this.ctx.wheel.schedule(
            this.reliable ? 0 : Math.max(32_000, 64 * this.ctx.timers.t1),
            () => this.terminate(),
          );
        }
        this.hooks.response(this, response);
        return;
      case 'accepted':
        if (code >= 200 && code < 300) this.hooks.response(this, response);
        return;
      case 'completed':
        if (code >= 300 && this.ack) this.ctx.send(this.remote, this.ack);
        return;
      default:
        return;
    }
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerA?.cancel();
    this.timerB?.cancel();
    this.timerEnd?.cancel();
    this.hooks.terminated(this);
  }

  private fail(status: 408 | 503): void {
    if (this.state !== 'calling' && !(status === 408 && this.state === 'proceeding')) return;
    this.status = status;
    this.hooks.failed(this, status);
    this.terminate();
  }

  private scheduleA(interval: number): void {
    this.timerA = this.ctx.wheel.schedule(interval, () => {
      if (this.state !== 'calling') return;
      this.ctx.send(this.remote, this.request.text);
      this.scheduleA(interval * 2);
    });
  }
}
