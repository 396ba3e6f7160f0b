// Cache invalidation across instances: every change made through the API is announced on one
// shared-state channel, and every instance (the one that made it included) drops or reloads what
// it cached. After a lost subscription, listeners are told to resynchronise fully.
import type { Logger } from 'pino';
import type { SharedState } from '../state/index.js';

export type Invalidation =
  | { type: 'number'; e164: string }
  | { type: 'plan' }
  | { type: 'api-key'; id: string }
  | { type: 'customer'; id: string }
  | { type: 'trunk'; id: string }
  | { type: 'caller-id'; customerId: string };

const CHANNEL = 'cache-invalidation';

export type InvalidationListener = (inv: Invalidation | { type: 'resync' }) => void | Promise<void>;

export class InvalidationBus {
  readonly #listeners = new Set<InvalidationListener>();
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly state: SharedState,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.#unsubscribe = await this.state.subscribe(CHANNEL, (message) => {
      let inv: Invalidation;
      try {
        inv = JSON.parse(message) as Invalidation;
      } catch {
        this.log.warn('malformed cache invalidation message ignored');
        return;
      }
      this.#emit(inv);
    });
    this.state.onResync(() => {
      this.log.warn('shared-state subscription restored: caches resynchronise');
      this.#emit({ type: 'resync' });
    });
  }

  on(listener: InvalidationListener): void {
    this.#listeners.add(listener);
  }

  /**
   * Announces a change. Publishing can fail while the shared state is down; the change is already
   * committed, so this is logged, and remote caches catch up on their resync.
   */
  async publish(inv: Invalidation): Promise<void> {
    try {
      await this.state.publish(CHANNEL, JSON.stringify(inv));
    } catch (err) {
      this.log.warn(
        { err, invalidation: inv.type },
        'could not publish cache invalidation; applying locally',
      );
      this.#emit(inv);
    }
  }

  async stop(): Promise<void> {
    await this.#unsubscribe?.();
  }

  #emit(inv: Invalidation | { type: 'resync' }): void {
    for (const l of this.#listeners) {
      Promise.resolve()
        .then(() => l(inv))
        .catch((err) =>
          this.log.error({ err, invalidation: inv.type }, 'cache invalidation listener failed'),
        );
    }
  }
}
