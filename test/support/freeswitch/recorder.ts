// What record_session does with RECORD_STEREO=true: a 16-bit 8 kHz WAV written in real time, left =
// what the channel reads (its caller), right = what it writes (the bridged peer). One 20 ms frame per
// tick, from queued audio or silence; masked frames are zeros, paused time is not written at all.
import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { wavHeader } from './audio.js';

const FRAME = 160; // samples per 20 ms at 8 kHz
const MAX_QUEUE = 8000; // one second per side: older audio is dropped to stay in step

export class SessionRecorder {
  readonly path: string;
  readonly stereo: boolean;
  #fd: number | undefined;
  #dataBytes = 0;
  #written = 0;
  #segmentStart = Date.now();
  #framesAtSegmentStart = 0;
  #paused = false;
  #masked = false;
  #left: number[] = [];
  #right: number[] = [];
  #timer: NodeJS.Timeout;

  /** append: RECORD_APPEND=true, continue an existing file (a restarted recording). */
  constructor(path: string, stereo: boolean, append = false) {
    this.path = path;
    this.stereo = stereo;
    if (append && existsSync(path)) {
      this.#fd = openSync(path, 'r+');
      const header = Buffer.alloc(44);
      readSync(this.#fd, header, 0, 44, 0);
      this.#dataBytes = header.readUInt32LE(40);
    } else {
      this.#fd = openSync(path, 'w', 0o600);
      writeSync(this.#fd, wavHeader(this.channels, 8000, 0), 0, 44, 0);
    }
    this.#timer = setInterval(() => this.#tick(), 20);
  }

  get channels(): number {
    return this.stereo ? 2 : 1;
  }
  get active(): boolean {
    return this.#fd !== undefined;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get masked(): boolean {
    return this.#masked;
  }

  pushLeft(samples: Int16Array): void {
    if (this.#paused) return;
    this.#push(this.#left, samples);
  }
  pushRight(samples: Int16Array): void {
    if (this.#paused) return;
    this.#push(this.#right, samples);
  }
  #push(queue: number[], samples: Int16Array): void {
    for (const s of samples) queue.push(s);
    if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
  }

  mask(on: boolean): void {
    this.#tick();
    this.#masked = on;
  }
  pause(): void {
    this.#tick();
    this.#paused = true;
    this.#left = [];
    this.#right = [];
  }
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#segmentStart = Date.now();
    this.#framesAtSegmentStart = this.#written;
  }

  #tick(): void {
    if (this.#fd === undefined || this.#paused) return;
    const due =
      this.#framesAtSegmentStart + Math.floor((Date.now() - this.#segmentStart) / 20) - this.#written;
    if (due <= 0) return;
    const out = Buffer.alloc(due * FRAME * this.channels * 2);
    let o = 0;
    for (let f = 0; f < due; f++) {
      const l = this.#left.splice(0, FRAME);
      const r = this.#right.splice(0, FRAME);
      for (let i = 0; i < FRAME; i++) {
        const left = this.#masked ? 0 : (l[i] ?? 0);
        const right = this.#masked ? 0 : (r[i] ?? 0);
        if (this.stereo) {
          out.writeInt16LE(left, o);
          out.writeInt16LE(right, o + 2);
          o += 4;
        } else {
          out.writeInt16LE(Math.max(-32768, Math.min(32767, left + right)), o);
          o += 2;
        }
      }
    }
    writeSync(this.#fd, out, 0, out.length, 44 + this.#dataBytes);
    this.#dataBytes += out.length;
    this.#written += due;
  }

  /** Writes what is due, fixes the header sizes and closes the file (idempotent). */
  stop(): void {
    if (this.#fd === undefined) return;
    this.#tick();
    clearInterval(this.#timer);
    writeSync(this.#fd, wavHeader(this.channels, 8000, this.#dataBytes), 0, 44, 0);
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
