// The INVITE server transaction (RFC 3261 section 17.2.1, with the Accepted state of RFC 6026
// section 7.1). It sends 100 Trying as soon as it exists, as drachtio-server does, answers
// retransmitted INVITEs with the last response, retransmits a non-2xx final response until the
// ACK (Timer G) or Timer H, and absorbs that ACK. The UAS core's duty of retransmitting a 2xx
// until its ACK arrives (section 13.3.1.4) is done here too, in the Accepted state.
import type { SipRequest } from '../sip/message.js';
import { slimRequest } from '../sip/slim.js';
import type { Timer } from '../support/timer-wheel.js';
import type { Remote } from '../transport/types.js';
import type { TransactionContext } from './context.js';

export type InviteServerState = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

export interface InviteServerHooks<T> {
  terminated(txn: InviteServerTransaction<T>): void;
  /** A 2xx was retransmitted for 64*T1 without an ACK (section 13.3.1.4: end the session). */
  ackTimeout(txn: InviteServerTransaction<T>): void;
}

export class InviteServerTransaction<T = unknown> {
  state: InviteServerState = 'proceeding';
  /** Status of the last response sent (0 before any besides the automatic 100). */
  status = 0;
  acked = false;
  /** CSeq number of the INVITE, for matching the ACK of a 2xx through the dialog. */
  readonly cseq: number;
  private lastResponse: string | undefined;
  private retransmit: Timer | undefined;
  private expiry: Timer | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    readonly key: string,
    readonly id: string,
    public request: SipRequest,
    readonly remote: Remote,
    /** The top Via as stamped with received/rport: every response carries it. */
    readonly topVia: string,
    /** The UAS tag for To; the same for every response of this transaction (the app may set it). */
    public toTag: string,
    /** What the transaction user keeps with this transaction. */
    readonly data: T,
    private readonly hooks: InviteServerHooks<T>,
  ) {
    this.cseq = request.core.cseq.seq;
  }

  get reliable(): boolean {
    return this.remote.transport !== 'udp';
  }

  /** Sends the automatic 100 Trying (section 17.2.1: immediately, as sofia-sip does). */
  trying(text: string): void {
    this.lastResponse = text;
    this.ctx.send(this.remote, text);
  }

  /** A retransmission of the INVITE: resend the last response (absorbed once accepted). */
  onRetransmission(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse) {
      this.ctx.send(this.remote, this.lastResponse);
    }
  }

  /** Sends a response from the TU; false when the transaction can no longer respond. */
  respond(status: number, text: string): boolean {
    if (this.state !== 'proceeding') return false;
    this.status = status;
    this.lastResponse = text;
    this.ctx.send(this.remote, text);
    if (status < 200) return true;
    // From here on only retransmissions are absorbed: the parsed request is no longer needed.
    this.request = slimRequest(this.request);
    const { t1, t2 } = this.ctx.timers;
    if (status < 300) {
      this.state = 'accepted';
      if (!this.reliable) this.scheduleRetransmit(t1, t2);
      // RFC 6026 Timer L: absorb INVITE retransmissions; also the end of waiting for the ACK.
      this.expiry = this.ctx.wheel.schedule(64 * t1, () => {
        if (!this.acked) this.hooks.ackTimeout(this);
        this.terminate();
      });
      return true;
    }
    this.state = 'completed';
    if (!this.reliable) this.scheduleRetransmit(t1, t2);
    // Timer H: give up waiting for the ACK of a non-2xx final response.
    this.expiry = this.ctx.wheel.schedule(64 * t1, () => this.terminate());
    return true;
  }

  /** ACK with this transaction's branch: the ACK for a non-2xx final response. */
  onAck(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.acked = true;
    this.retransmit?.cancel();
    this.expiry?.cancel();
    // Timer I: absorb ACK retransmissions for T4 over UDP, none over reliable transports.
    this.expiry = this.ctx.wheel.schedule(this.reliable ? 0 : this.ctx.timers.t4, () => this.terminate());
  }

  /** The ACK for a 2xx arrived (matched through the dialog): stop retransmitting the 2xx. */
  onAck2xx(): boolean {
    if (this.state !== 'accepted' || this.acked) return false;
    this.acked = true;
    this.retransmit?.cancel();
    // Retransmitted INVITEs are now absorbed without an answer: the 2xx is not needed any more.
    this.lastResponse = undefined;
    return true;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.retransmit?.cancel();
    this.expiry?.cancel();
    this.hooks.terminated(this);
  }

  /** Timer G (and the 2xx schedule of section 13.3.1.4): T1, doubling, capped at T2. */
  private scheduleRetransmit(interval: number, cap: number): void {
    this.retransmit = this.ctx.wheel.schedule(interval, () => {
      if (!this.lastResponse || this.acked) return;
      if (this.state !== 'completed' && this.state !== 'accepted') return;
      this.ctx.send(this.remote, this.lastResponse);
      this.scheduleRetransmit(Math.min(interval * 2, cap), cap);
    });
  }
}
