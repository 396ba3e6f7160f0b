// One SMPP bind to an aggregator: a session that reconnects on its own.
//
//   connecting → bound → (socket closed, bind refused, peer silent) → backoff with jitter → connecting
//
// Every reconnect builds a fresh smpp.Session (the package's Session.connect() reuses a socket that
// has already emitted 'close' and keeps stale callbacks). Every request has a response timeout (the
// package has none: an unanswered PDU's callback waits until the session closes). enquire_link runs
// on an interval; an unanswered one, or `deadAfterTimeouts` unanswered submits in a row, tears the
// session down. A window caps outstanding submit_sm and a token bucket caps messages per second;
// ESME_RTHROTTLED / ESME_RMSGQFUL halve the rate and retry the same PDU here after a pause instead
// of failing it; the rate climbs back while the aggregator stops complaining.
//
// When the session dies, submits that were written but not answered reject with BindLost
// {written: true} (the aggregator may have them: the caller resubmits elsewhere and records the
// possible duplicate); submits still waiting for the window reject with {written: false}.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import * as smpp from 'smpp';
import { installRawCodec, isThrottle, SMPP_STATUS } from './raw-codec.js';

installRawCodec();

export type BindType = 'transceiver' | 'transmitter' | 'receiver';
export type BindState = 'connecting' | 'bound' | 'down' | 'stopped';

export interface BindOptions {
  id: string;
  name: string;
  carrierId: string;
  host: string;
  port: number;
  tls: boolean;
  systemId: string;
  password: string;
  systemType?: string;
  bindType: BindType;
  windowSize: number;
  maxMps: number;
  responseTimeoutMs: number;
  enquireLinkMs: number;
  connectTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  throttlePauseMs: number;
  deadAfterTimeouts: number;
  /** TLS: reject self-signed peers unless false (test SMSCs). */
  rejectUnauthorized?: boolean;
}

export class SubmitRejected extends Error {
  constructor(readonly status: number) {
    super(`submit_sm refused with status 0x${status.toString(16)}`);
  }
}

export class BindLost extends Error {
  constructor(
    readonly written: boolean,
    reason: string,
  ) {
    super(`bind lost (${reason})`);
  }
}

export type DeliverHandler = (pdu: smpp.PDU, bind: Bind) => Promise<number>;

export interface BindEvents {
  state: (state: BindState, bind: Bind) => void;
  throttled: (bind: Bind) => void;
  protocolError: (kind: string, bind: Bind) => void;
}

interface Job {
  params: Record<string, unknown>;
  resolve: (messageId: string) => void;
  reject: (err: Error) => void;
  written: boolean;
  sentAt: number;
  timer?: NodeJS.Timeout;
}

export class Bind extends EventEmitter {
  #state: BindState = 'down';
  #session: smpp.Session | undefined;
  #sessionNo = 0;
  readonly #queue: Job[] = [];
  readonly #inflight = new Map<number, Job>();
  #mps: number;
  #tokens: number;
  #lastRefill = Date.now();
  #pausedUntil = 0;
  #pumpTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #enquireTimer: NodeJS.Timeout | undefined;
  #recoverTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #timeoutsInRow = 0;
  onDeliver: DeliverHandler | undefined;

  constructor(
    readonly opts: BindOptions,
    private readonly log: Logger,
  ) {
    super();
    this.#mps = opts.maxMps;
    this.#tokens = Math.min(opts.maxMps, opts.windowSize);
  }

  get state(): BindState {
    return this.#state;
  }
  get name(): string {
    return this.opts.name;
  }
  get canSubmit(): boolean {
    return this.#state === 'bound' && this.opts.bindType !== 'receiver';
  }
  get inflight(): number {
    return this.#inflight.size;
  }
  get queued(): number {
    return this.#queue.length;
  }
  get currentMps(): number {
    return this.#mps;
  }

  start(): void {
    if (this.#state !== 'down') return;
    this.#connect();
    this.#recoverTimer = setInterval(() => this.#recover(), 1000);
    this.#recoverTimer.unref();
  }

  async stop(): Promise<void> {
    this.#setState('stopped');
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#recoverTimer);
    this.#failAll('stopped');
    const s = this.#session;
    this.#session = undefined;
    this.#stopTimers();
    if (!s) return;
    await new Promise<void>((resolve) => {
      const done = setTimeout(() => {
        s.destroy();
        resolve();
      }, 1000);
      const unbound = s.send(new smpp.PDU('unbind'), () => {
        clearTimeout(done);
        s.destroy();
        resolve();
      });
      if (!unbound) {
        clearTimeout(done);
        s.destroy();
        resolve();
      }
    });
  }

  /** Submits one submit_sm; resolves with the aggregator's message id. */
  submit(params: Record<string, unknown>): Promise<string> {
    if (!this.canSubmit) return Promise.reject(new BindLost(false, `bind ${this.#state}`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ params, resolve, reject, written: false, sentAt: 0 });
      this.#pump();
    });
  }

  /** Tears the session down now (a reconnect follows): for a peer that stopped answering. */
  kill(reason: string): void {
    const s = this.#session;
    if (!s) return;
    this.log.warn({ bind: this.name, reason }, 'smpp bind torn down');
    this.#onClosed(s, reason);
    s.destroy();
  }

  #setState(state: BindState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state, this);
  }

  #connect(): void {
    if (this.#state === 'stopped') return;
    this.#setState('connecting');
    const no = ++this.#sessionNo;
    const o = this.opts;
    const session = smpp.connect({
      host: o.host,
      port: o.port,
      tls: o.tls,
      ...(o.tls ? { rejectUnauthorized: o.rejectUnauthorized ?? true } : {}),
    });
    this.#session = session;
    const connectTimer = setTimeout(
      () => this.#onClosed(session, 'connect timeout', true),
      o.connectTimeoutMs,
    );
    session.on('error', (err: Error) => {
      // The package's parser stops on a malformed frame (length out of range, truncated header):
      // framing is lost, so answer generic_nack as SMPP §2.3 says and start a fresh session.
      if (/PDU length|out of range|Index out of range|offset/i.test(err.message)) {
        this.emit('protocolError', 'malformed', this);
        this.log.warn({ bind: this.name, err: err.message }, 'smpp malformed PDU from peer');
        try {
          session.send(new smpp.PDU('generic_nack', { command_status: SMPP_STATUS.ESME_RINVCMDLEN }));
        } catch {
          /* the socket may be gone already */
        }
      } else this.log.warn({ bind: this.name, err: err.message }, 'smpp session error');
      this.#onClosed(session, 'error', true);
    });
    session.on('close', () => this.#onClosed(session, 'closed'));
    session.on(o.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      const command =
        o.bindType === 'transceiver'
          ? 'bind_transceiver'
          : o.bindType === 'transmitter'
            ? 'bind_transmitter'
            : 'bind_receiver';
      this.#request(
        session,
        new smpp.PDU(command, {
          system_id: o.systemId,
          password: o.password,
          system_type: o.systemType ?? '',
          interface_version: 0x34,
        }),
      ).then(
        (resp) => {
          if (no !== this.#sessionNo) return;
          if (resp.command_status !== 0) {
            this.log.warn({ bind: this.name, status: resp.command_status }, 'smpp bind refused');
            this.#onClosed(session, 'bind refused', true);
            return;
          }
          this.#attempt = 0;
          this.#timeoutsInRow = 0;
          this.#setState('bound');
          this.log.info({ bind: this.name }, 'smpp bound');
          this.#enquireTimer = setInterval(() => this.#enquire(session), o.enquireLinkMs);
          this.#enquireTimer.unref();
          this.#pump();
        },
        (err: Error) => this.#onClosed(session, `bind: ${err.message}`, true),
      );
    });
    session.on('pdu', (pdu: smpp.PDU) => this.#onPdu(session, pdu));
  }

  #enquire(session: smpp.Session): void {
    this.#request(session, new smpp.PDU('enquire_link')).catch(() =>
      this.#onClosed(session, 'enquire_link unanswered', true),
    );
  }

  /** Sends a request and waits for its response, at most responseTimeoutMs. */
  #request(session: smpp.Session, pdu: smpp.PDU): Promise<smpp.PDU> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The package would keep the callback until the session closes; drop it ourselves.
        delete (session as unknown as { _callbacks: Record<number, unknown> })._callbacks[
          pdu.sequence_number
        ];
        reject(new Error(`${pdu.command} response timeout`));
      }, this.opts.responseTimeoutMs);
      const ok = session.send(pdu, (resp) => {
        clearTimeout(timer);
        resolve(resp);
      });
      if (!ok) {
        clearTimeout(timer);
        reject(new Error('socket not writable'));
      }
    });
  }

  #onPdu(session: smpp.Session, pdu: smpp.PDU): void {
    if (pdu.command === 'unknown') {
      this.emit('protocolError', 'unknown_command', this);
      this.log.warn({ bind: this.name, commandId: pdu.command_id }, 'smpp unknown command id from peer');
      session.send(pdu.response()); // generic_nack ESME_RINVCMDID
      return;
    }
    if (pdu.isResponse()) {
      if (pdu.command === 'generic_nack') {
        this.emit('protocolError', 'generic_nack', this);
        this.log.warn({ bind: this.name, status: pdu.command_status }, 'smpp generic_nack from peer');
        const job = this.#inflight.get(pdu.sequence_number);
        if (job) this.#settle(pdu.sequence_number, job, pdu);
      }
      return;
    }
    switch (pdu.command) {
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        session.send(pdu.response());
        this.#onClosed(session, 'peer unbound', true);
        return;
      case 'deliver_sm':
      case 'data_sm': {
        const handler = this.onDeliver;
        if (!handler) {
          session.send(pdu.response({ command_status: SMPP_STATUS.ESME_RX_T_APPN }));
          return;
        }
        handler(pdu, this).then(
          (status) => session.send(pdu.response({ command_status: status })),
          (err: Error) => {
            this.log.error({ bind: this.name, err: err.message }, 'deliver_sm handling failed');
            session.send(pdu.response({ command_status: SMPP_STATUS.ESME_RX_T_APPN }));
          },
        );
        return;
      }
      default:
        // A request we do not serve (e.g. submit_sm from the SMSC): refuse it, keep the session.
        session.send(pdu.response({ command_status: SMPP_STATUS.ESME_RINVCMDID }));
    }
  }

  #refill(): void {
    const now = Date.now();
    const cap = Math.max(1, Math.min(this.#mps, this.opts.windowSize * 2));
    this.#tokens = Math.min(cap, this.#tokens + ((now - this.#lastRefill) / 1000) * this.#mps);
    this.#lastRefill = now;
  }

  #pump(): void {
    const session = this.#session;
    if (!session || this.#state !== 'bound') return;
    const now = Date.now();
    if (now < this.#pausedUntil) return this.#schedulePump(this.#pausedUntil - now);
    this.#refill();
    while (this.#queue.length && this.#inflight.size < this.opts.windowSize) {
      if (this.#tokens < 1) return this.#schedulePump(Math.ceil(((1 - this.#tokens) / this.#mps) * 1000));
      const job = this.#queue.shift() as Job;
      this.#tokens -= 1;
      this.#write(session, job);
    }
  }

  #schedulePump(ms: number): void {
    if (this.#pumpTimer) return;
    this.#pumpTimer = setTimeout(
      () => {
        this.#pumpTimer = undefined;
        this.#pump();
      },
      Math.max(1, ms),
    );
  }

  #write(session: smpp.Session, job: Job): void {
    const pdu = new smpp.PDU('submit_sm', job.params);
    const ok = session.send(pdu, (resp) => this.#settle(pdu.sequence_number, job, resp));
    if (!ok) {
      this.#queue.unshift(job);
      return;
    }
    job.written = true;
    job.sentAt = Date.now();
    this.#inflight.set(pdu.sequence_number, job);
    job.timer = setTimeout(() => {
      if (this.#inflight.get(pdu.sequence_number) !== job) return;
      this.#inflight.delete(pdu.sequence_number);
      delete (session as unknown as { _callbacks: Record<number, unknown> })._callbacks[pdu.sequence_number];
      job.reject(new BindLost(true, 'submit_sm_resp timeout'));
      if (++this.#timeoutsInRow >= this.opts.deadAfterTimeouts) this.kill('peer stopped answering');
      else this.#pump();
    }, this.opts.responseTimeoutMs);
  }

  #settle(seq: number, job: Job, resp: smpp.PDU): void {
    if (this.#inflight.get(seq) !== job) return;
    this.#inflight.delete(seq);
    clearTimeout(job.timer);
    this.#timeoutsInRow = 0;
    const status = resp.command_status;
    if (status === 0 && resp.command === 'submit_sm_resp') {
      job.resolve(String(resp.message_id ?? '').replace(/\0+$/, ''));
    } else if (isThrottle(status)) {
      // Slow down and try the same PDU again on this bind: throttling is not a failure. A burst of
      // throttled answers to one window counts once: the rate halves at most once per pause.
      const now = Date.now();
      if (now >= this.#pausedUntil) {
        this.#mps = Math.max(Math.max(1, Math.floor(this.opts.maxMps / 16)), Math.floor(this.#mps / 2));
        this.#pausedUntil = now + this.opts.throttlePauseMs;
      }
      this.#tokens = 0;
      this.emit('throttled', this);
      job.written = false;
      this.#queue.unshift(job);
    } else {
      job.reject(new SubmitRejected(status));
    }
    this.#pump();
  }

  /** Once a second: the rate climbs back towards maxMps while no throttling is reported (the floor is maxMps/16). */
  #recover(): void {
    if (this.#mps < this.opts.maxMps && Date.now() > this.#pausedUntil + 1000)
      this.#mps = Math.min(this.opts.maxMps, Math.ceil(this.#mps * 1.5) + 1);
  }

  #stopTimers(): void {
    clearInterval(this.#enquireTimer);
    this.#enquireTimer = undefined;
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = undefined;
  }

  #failAll(reason: string): void {
    for (const [seq, job] of this.#inflight) {
      clearTimeout(job.timer);
      this.#inflight.delete(seq);
      job.reject(new BindLost(true, reason));
    }
    for (const job of this.#queue.splice(0)) job.reject(new BindLost(false, reason));
  }

  #onClosed(session: smpp.Session, reason: string, destroy = false): void {
    if (session !== this.#session) return;
    this.#session = undefined;
    this.#stopTimers();
    if (destroy) session.destroy();
    if (this.#state === 'stopped') return;
    this.log.warn({ bind: this.name, reason }, 'smpp bind down');
    this.#setState('down');
    this.#failAll(reason);
    const base = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectMinMs * 2 ** this.#attempt++);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }
}
