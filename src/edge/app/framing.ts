// drachtio's app-protocol framing: a stream of `<len>#<payload>`, where <len> is the decimal byte
// length of the payload. drachtio-server reads at most five length digits; a sixth, a non-digit,
// or a zero length is a framing error and the connection is dropped.

const MAX_DIGITS = 5;

export interface Decoded {
  /** Complete payloads, as latin1 strings (bytes preserved). */
  readonly frames: string[];
  /** Set when the stream cannot be framed any further. */
  readonly error?: string;
}

export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Decoded {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: string[] = [];
    for (;;) {
      let length = 0;
      let i = 0;
      for (; i < this.buffer.length; i++) {
        const c = this.buffer[i] as number;
        if (c === 35) break;
        if (c < 48 || c > 57 || i >= MAX_DIGITS) return this.fail(frames, 'invalid message length specifier');
        length = length * 10 + (c - 48);
      }
      if (i === this.buffer.length) return { frames };
      if (i === 0 || length === 0) return this.fail(frames, 'invalid message length specifier');
      const end = i + 1 + length;
      if (this.buffer.length < end) return { frames };
      frames.push(this.buffer.toString('latin1', i + 1, end));
      this.buffer = this.buffer.subarray(end);
      if (this.buffer.length === 0) return { frames };
    }
  }

  private fail(frames: string[], error: string): Decoded {
    this.buffer = Buffer.alloc(0);
    return { frames, error };
  }
}

/** Frames a payload built from latin1 strings (one character per byte). */
export function encodeFrame(payload: string): string {
  return `${payload.length}#${payload}`;
}
