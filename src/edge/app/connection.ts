// One app connected over the app protocol: its framing, its authentication state, the verbs it
// routed, and a write path that coalesces the frames of one event-loop turn into one write.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { IdGenerator } from '../support/ids.js';
import { parseCommand, type AppCommand } from './commands.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import { responseFrame } from './frames.js';

/** An app that stops reading while the edge keeps writing is cut off past this many bytes. */
const MAX_WRITE_BACKLOG = 64 * 1024 * 1024;

export interface AppConnectionEvents {
  command(conn: AppConnection, command: AppCommand): void;
  closed(conn: AppConnection): void;
}

export class AppConnection {
  authenticated = false;
  tags: readonly string[] = [];
  readonly routes = new Set<string>();
  private readonly decoder = new FrameDecoder();
  private pending: string[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly ids: IdGenerator,
    readonly log: Logger,
    private readonly events: AppConnectionEvents,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => log.debug({ err }, 'app connection error'));
    socket.on('close', () => this.onClose());
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Queues one frame; all frames queued in this turn of the event loop go out in one write. */
  send(payload: string): void {
    if (this.closed) return;
    this.pending.push(encodeFrame(payload));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  reply(msgId: string, status: 'OK' | 'NOK' | 'NO', rest?: string): void {
    this.send(responseFrame(this.ids.uuid(), msgId, status, rest));
  }

  /** Sends what is queued, then closes (drachtio closes after a bad secret or unknown command). */
  end(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.socket.end();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.socket.destroyed) return;
    const data = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('');
    this.pending = [];
    this.socket.write(Buffer.from(data, 'latin1'));
    if (this.socket.writableLength > MAX_WRITE_BACKLOG) {
      this.log.warn({ backlog: this.socket.writableLength }, 'app is not reading; closing its connection');
      this.destroy();
    }
  }

  private onData(chunk: Buffer): void {
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      if (this.closed) return;
      const command = parseCommand(frame);
      if (!command) {
        this.log.warn({ app: this.id }, 'app sent a frame without message id or command; closing');
        this.end();
        return;
      }
      this.events.command(this, command);
    }
    if (error && !this.closed) {
      this.log.warn({ app: this.id, reason: error }, 'app framing error; closing its connection');
      this.destroy();
    }
  }

  private onClose(): void {
    this.closed = true;
    this.pending = [];
    this.events.closed(this);
  }
}
