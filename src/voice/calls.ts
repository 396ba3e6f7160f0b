// The calls this instance carries, for other features: recording controls a call's media, ops
// drains and counts. Provided as ctx.provide('calls', registry).
import type { Region } from '../config/index.js';
import type { AnchoredMedia } from './media-anchor.js';

export interface ActiveCall {
  /** Our call id (the CDR id), a UUID. */
  readonly callId: string;
  readonly customerId: string;
  readonly region: Region;
  readonly direction: 'inbound' | 'outbound';
  /** The customer's number: called number inbound, calling number outbound (E.164). */
  readonly number: string;
  readonly startedAt: Date;
  readonly media?: AnchoredMedia;
  /** Ends the call on both legs (BYE, or a final answer/CANCEL while setting up). */
  hangup(reason: string): Promise<void>;
}

export interface CallRegistry {
  get(callId: string): ActiveCall | undefined;
  list(): ActiveCall[];
  count(): number;
}

export interface VoiceDrain {
  /** Removes the INVITE route on every SBC: no new calls reach this instance. */
  drain(): Promise<void>;
  activeCalls(): number;
}

export const CALLS_SERVICE = 'calls';
export const VOICE_DRAIN_SERVICE = 'voiceDrain';

/** The registry the call flows add to and remove from. */
export class ActiveCalls implements CallRegistry {
  readonly #calls = new Map<string, ActiveCall>();
  readonly #idle = new Set<() => void>();

  add(call: ActiveCall): void {
    this.#calls.set(call.callId, call);
  }

  remove(callId: string): void {
    this.#calls.delete(callId);
    if (this.#calls.size === 0) for (const fn of this.#idle) fn();
  }

  get(callId: string): ActiveCall | undefined {
    return this.#calls.get(callId);
  }

  list(): ActiveCall[] {
    return [...this.#calls.values()];
  }

  count(): number {
    return this.#calls.size;
  }

  /** Resolves when no call is left, or when the signal aborts. */
  async idle(signal?: AbortSignal): Promise<void> {
    if (this.#calls.size === 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.#idle.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#idle.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
