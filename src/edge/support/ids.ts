// Identifiers the edge makes up, in the shapes drachtio-server (sofia-sip) uses: UUID v4
// transaction and message ids, UUID-like Call-IDs, 13-character alphanumeric tags and branches
// carrying the RFC 3261 magic cookie, and a CSeq counter that starts high and only grows.
import { randomFillSync, randomUUID } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** RFC 3261 section 8.1.1.7: branches of RFC 3261 transactions start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

export class IdGenerator {
  private readonly pool = Buffer.alloc(4096);
  private offset = this.pool.length;
  private cseq: number;

  constructor() {
    this.cseq = 100_000_000 + Math.floor(Math.random() * 100_000_000);
  }

  uuid(): string {
    return randomUUID();
  }

  /** Random alphanumeric string; rejection sampling keeps the 62 symbols equally likely. */
  token(length: number): string {
    let out = '';
    while (out.length < length) {
      if (this.offset >= this.pool.length) {
        randomFillSync(this.pool);
        this.offset = 0;
      }
      const byte = this.pool[this.offset++] as number;
      if (byte < 248) out += ALPHABET[byte % 62];
    }
    return out;
  }

  tag(): string {
    return this.token(13);
  }

  branch(): string {
    return MAGIC_COOKIE + this.token(13);
  }

  callId(): string {
    return randomUUID();
  }

  /** Next CSeq for a request the edge originates outside a dialog. */
  nextCSeq(): number {
    this.cseq = this.cseq >= 2_000_000_000 ? 100_000_000 : this.cseq + 1;
    return this.cseq;
  }
}
