// Shutdown in order. Components register a stop step in one of three phases:
//   intake  – stop taking new work (API listener, SIP routes, SMPP submits)
//   drain   – let in-flight work finish (calls, deliveries), bounded by the grace period
//   flush   – write what is buffered (records) and close connections (databases, Redis)
// stop() runs the phases in order and, within a phase, the steps in registration order (main.ts
// registers them in the order they must run); each step runs once and stop() never throws.
import type { Logger } from 'pino';

export type Phase = 'intake' | 'drain' | 'flush';
const PHASES: Phase[] = ['intake', 'drain', 'flush'];

export interface StopStep {
  name: string;
  run(signal: AbortSignal): Promise<void> | void;
}

export type LifecycleState = 'running' | Phase | 'stopped';

export class Lifecycle {
  readonly #steps: Record<Phase, StopStep[]> = { intake: [], drain: [], flush: [] };
  #stopping: Promise<void> | undefined;
  #state: LifecycleState = 'running';
  #stoppingSince: number | undefined;
  #resolveStopped!: () => void;
  /** Resolves once stop() has run every step, whoever started it (a signal, POST /admin/drain). */
  readonly stopped: Promise<void> = new Promise((resolve) => (this.#resolveStopped = resolve));

  constructor(private readonly log: Logger) {}

  /** running, then the phase being run (intake, drain, flush), then stopped. */
  get state(): LifecycleState {
    return this.#state;
  }

  /** Milliseconds since stop() was called; undefined while running. */
  get stoppingForMs(): number | undefined {
    return this.#stoppingSince === undefined ? undefined : Date.now() - this.#stoppingSince;
  }

  onStop(phase: Phase, name: string, run: StopStep['run']): void {
    this.#steps[phase].push({ name, run });
  }

  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  /** Runs every step; the drain phase is cut short (signal aborted) when graceMs passes. */
  stop(graceMs: number): Promise<void> {
    if (!this.#stopping) {
      this.#stoppingSince = Date.now();
      this.#stopping = this.#run(graceMs).finally(() => {
        this.#state = 'stopped';
        this.#resolveStopped();
      });
    }
    return this.#stopping;
  }

  async #run(graceMs: number): Promise<void> {
    const grace = new AbortController();
    const timer = setTimeout(() => grace.abort(new Error('grace period over')), graceMs);
    timer.unref();
    for (const phase of PHASES) {
      this.#state = phase;
      for (const step of this.#steps[phase]) {
        const started = Date.now();
        try {
          await step.run(phase === 'drain' ? grace.signal : new AbortController().signal);
          this.log.info({ phase, step: step.name, ms: Date.now() - started }, 'shutdown step done');
        } catch (err) {
          this.log.error({ err, phase, step: step.name }, 'shutdown step failed');
        }
      }
    }
    clearTimeout(timer);
  }
}
