// A test SMSC: the `smpp` package's server acting as an aggregator, with the behaviours a real one
// shows and our bind manager must survive: receipts in TLV or text form with ids in decimal or hex
// (optionally before submit_sm_resp), throttling (ESME_RTHROTTLED / ESME_RMSGQFUL), dropped
// responses, closed sockets, and malformed or unknown PDUs.
import type net from 'node:net';
import * as smpp from 'smpp';
import { installRawCodec } from '../../src/messaging/smpp/raw-codec.js';
import { decodeShortMessage } from '../../src/messaging/encoding.js';
import { formatReceiptText } from '../../src/messaging/receipt.js';

installRawCodec();

export interface SmscSubmit {
  seq: number;
  smscId: string;
  source: string;
  destination: string;
  text: string;
  dataCoding: number;
  esmClass: number;
  concat?: { ref: number; total: number; seq: number };
  tlvs: Record<string, unknown>;
  bytes: Buffer;
  session: smpp.Session;
  /** True when the response to this submit was sent. */
  answered: boolean;
}

export interface SmscOptions {
  systemId?: string;
  password?: string;
  /** How submit_sm_resp writes message ids. */
  idFormat?: 'decimal' | 'hex';
  /** How receipts write them: as in the response, or converted (the classic mismatch). */
  receiptIdAs?: 'same' | 'hex' | 'decimal';
  /** Receipt per submit: the stat to report, or undefined for none. */
  receipt?: (s: SmscSubmit) => 'DELIVRD' | 'UNDELIV' | undefined;
  receiptForm?: 'text' | 'tlv';
  /** Send the receipt before submit_sm_resp. */
  receiptFirst?: boolean;
  receiptDelayMs?: number;
  /** Status to answer a submit with instead of success (throttling, rejection), by submit number. */
  statusFor?: (n: number, s: SmscSubmit) => number;
  /** Do not answer this submit at all. */
  drop?: (n: number, s: SmscSubmit) => boolean;
}

export class TestSmsc {
  readonly submits: SmscSubmit[] = [];
  readonly binds: { systemId: string; command: string }[] = [];
  readonly deliverResponses: { seq: number; status: number }[] = [];
  readonly received: smpp.PDU[] = [];
  #server: smpp.Server;
  #nextId = 1000;
  #count = 0;
  port = 0;

  constructor(public options: SmscOptions = {}) {
    this.#server = smpp.createServer({}, (session) => this.#onSession(session));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.#server.address() as net.AddressInfo).port;
    return this;
  }

  get sessions(): smpp.Session[] {
    return this.#server.sessions;
  }

  get boundSessions(): smpp.Session[] {
    return this.sessions.filter((s) => (s as smpp.Session & { bound?: boolean }).bound);
  }

  /** Closes every session's socket (a cut bind). */
  cut(): void {
    for (const s of [...this.sessions]) s.socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Writes raw bytes on the first bound session (malformed PDUs). */
  sendRaw(bytes: Buffer): void {
    const s = this.boundSessions[0];
    if (!s) throw new Error('no bound session');
    s.socket.write(bytes);
  }

  /** Sends a deliver_sm on a bound session (the n-th, default first); resolves with the response status. */
  deliver(params: Record<string, unknown>, sessionIndex = 0): Promise<number> {
    const s = this.boundSessions[sessionIndex % Math.max(1, this.boundSessions.length)];
    if (!s) return Promise.reject(new Error('no bound session'));
    return new Promise((resolve, reject) => {
      const pdu = new smpp.PDU('deliver_sm', { source_addr_ton: 1, dest_addr_ton: 1, ...params });
      const ok = s.send(pdu, (resp) => {
        this.deliverResponses.push({ seq: pdu.sequence_number, status: resp.command_status });
        resolve(resp.command_status);
      });
      if (!ok) reject(new Error('session not writable'));
    });
  }

  smscIdText(n: number): string {
    return this.options.idFormat === 'hex' ? n.toString(16).toUpperCase().padStart(8, '0') : String(n);
  }

  #onSession(session: smpp.Session): void {
    session.on('error', () => {});
    session.on('pdu', (pdu: smpp.PDU) => {
      this.received.push(pdu);
      switch (pdu.command) {
        case 'bind_transceiver':
        case 'bind_transmitter':
        case 'bind_receiver': {
          this.binds.push({ systemId: String(pdu.system_id), command: pdu.command });
          const ok =
            (!this.options.systemId || pdu.system_id === this.options.systemId) &&
            (!this.options.password || pdu.password === this.options.password);
          session.send(pdu.response({ command_status: ok ? 0 : 0x0e, system_id: 'TESTSMSC' }));
          if (ok) (session as smpp.Session & { bound?: boolean }).bound = true;
          return;
        }
        case 'enquire_link':
          session.send(pdu.response());
          return;
        case 'unbind':
          session.send(pdu.response());
          session.close();
          return;
        case 'submit_sm':
          this.#onSubmit(session, pdu);
          return;
        default:
          if (!pdu.isResponse()) session.send(pdu.response());
      }
    });
  }

  #onSubmit(session: smpp.Session, pdu: smpp.PDU): void {
    const n = ++this.#count;
    const bytes = pdu.short_message as Buffer;
    const decoded = decodeShortMessage(bytes, Number(pdu.data_coding), Number(pdu.esm_class));
    const idNum = this.#nextId++;
    const tlvs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(pdu))
      if (/^\d+$/.test(k) || k.startsWith('sar_') || k === 'message_payload') tlvs[k] = v;
    const s: SmscSubmit = {
      seq: pdu.sequence_number,
      smscId: this.smscIdText(idNum),
      source: String(pdu.source_addr),
      destination: String(pdu.destination_addr),
      text: decoded.text,
      dataCoding: Number(pdu.data_coding),
      esmClass: Number(pdu.esm_class),
      ...(decoded.concat ? { concat: decoded.concat } : {}),
      tlvs,
      bytes,
      session,
      answered: false,
    };
    this.submits.push(s);
    if (this.options.drop?.(n, s)) return;
    const status = this.options.statusFor?.(n, s) ?? 0;
    if (status !== 0) {
      s.answered = true;
      session.send(pdu.response({ command_status: status }));
      return;
    }
    const stat = this.options.receipt?.(s);
    const sendReceipt = () => {
      if (!stat) return;
      const asNum = idNum;
      const rid =
        this.options.receiptIdAs === 'hex'
          ? asNum.toString(16)
          : this.options.receiptIdAs === 'decimal'
            ? String(asNum)
            : s.smscId;
      const params: Record<string, unknown> =
        this.options.receiptForm === 'tlv'
          ? { receipted_message_id: rid, message_state: stat === 'DELIVRD' ? 2 : 5 }
          : {};
      const text = formatReceiptText({ id: rid, stat, err: stat === 'DELIVRD' ? '000' : '001' });
      const target = session.socket.writable ? session : this.boundSessions[0];
      if (!target) return;
      target.send(
        new smpp.PDU('deliver_sm', {
          source_addr: s.destination,
          destination_addr: s.source,
          esm_class: 0x04,
          short_message: Buffer.from(text, 'ascii'),
          ...params,
        }),
      );
    };
    if (this.options.receiptFirst) sendReceipt();
    s.answered = session.socket.writable;
    session.send(pdu.response({ message_id: s.smscId }));
    if (!this.options.receiptFirst) {
      if (this.options.receiptDelayMs) setTimeout(sendReceipt, this.options.receiptDelayMs);
      else setImmediate(sendReceipt);
    }
  }
}

export async function startSmsc(options: SmscOptions = {}): Promise<TestSmsc> {
  return new TestSmsc(options).listen();
}

/** A PDU with an arbitrary header, for malformed-input tests. */
export function rawPdu(commandId: number, seq: number, body = Buffer.alloc(0), length?: number): Buffer {
  const b = Buffer.alloc(16 + body.length);
  b.writeUInt32BE(length ?? 16 + body.length, 0);
  b.writeUInt32BE(commandId, 4);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(seq, 12);
  body.copy(b, 16);
  return b;
}
