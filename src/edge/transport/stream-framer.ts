// Cutting SIP messages out of a TCP byte stream (RFC 3261 section 18.3): the header block ends
// at the first empty line, and Content-Length, mandatory on streams, gives the body's size.
// Limits bound what one connection may make the edge hold: the header block and the whole
// message have maximum sizes, and a framing error (no, several or a non-numeric Content-Length,
// RFC 4475 3.1.2.3 and 3.3.9) is unrecoverable, so the connection is closed after a 400.

export type FrameEvent =
  | { readonly type: 'message'; readonly text: string }
  /** RFC 5626 section 4.4.1: a double-CRLF ping, to be answered with a single CRLF. */
  | { readonly type: 'ping' }
  | { readonly type: 'error'; readonly reason: string; readonly text: string };

export interface FramerLimits {
  readonly maxHeaderBytes: number;
  readonly maxMessageBytes: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

function findContentLength(head: string): number | 'missing' | 'invalid' {
  let found: number | undefined;
  let pos = 0;
  while (pos < head.length) {
    let end = head.indexOf('\r\n', pos);
    if (end < 0) end = head.length;
    const line = head.slice(pos, end);
    pos = end + 2;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== 'content-length' && name !== 'l') continue;
    if (found !== undefined) return 'invalid';
    const value = line.slice(colon + 1).trim();
    if (!/^[0-9]{1,9}$/.test(value)) return 'invalid';
    found = Number(value);
  }
  return found ?? 'missing';
}

export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly limits: FramerLimits) {}

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buffer.length;
  }

  push(chunk: Buffer): FrameEvent[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: FrameEvent[] = [];
    for (;;) {
      // Leading CRLFs are keep-alives: CRLFCRLF is a ping, a lone CRLF is the pong or noise.
      let skip = 0;
      while (this.buffer[skip] === 13 && this.buffer[skip + 1] === 10) {
        if (this.buffer[skip + 2] === 13 && this.buffer[skip + 3] === 10) {
          events.push({ type: 'ping' });
          skip += 4;
        } else {
          skip += 2;
        }
      }
      if (skip > 0) this.buffer = this.buffer.subarray(skip);
      if (this.buffer.length === 0 || (this.buffer.length === 1 && this.buffer[0] === 13)) return events;

      const headEnd = this.buffer.indexOf(CRLFCRLF);
      if (headEnd < 0) {
        if (this.buffer.length > this.limits.maxHeaderBytes) {
          return this.fail(events, 'header block too large');
        }
        return events;
      }
      const head = this.buffer.toString('latin1', 0, headEnd);
      const length = findContentLength(head);
      if (length === 'missing') return this.fail(events, 'missing Content-Length on a stream transport');
      if (length === 'invalid') return this.fail(events, 'invalid Content-Length');
      const total = headEnd + 4 + length;
      if (total > this.limits.maxMessageBytes) return this.fail(events, 'message too large');
      if (this.buffer.length < total) return events;
      events.push({ type: 'message', text: this.buffer.toString('latin1', 0, total) });
      this.buffer = this.buffer.subarray(total);
    }
  }

  private fail(events: FrameEvent[], reason: string): FrameEvent[] {
    const headEnd = this.buffer.indexOf(CRLFCRLF);
    const text = this.buffer.toString(
      'latin1',
      0,
      headEnd >= 0 ? headEnd + 4 : Math.min(this.buffer.length, this.limits.maxHeaderBytes),
    );
    this.buffer = Buffer.alloc(0);
    events.push({ type: 'error', reason, text });
    return events;
  }
}
