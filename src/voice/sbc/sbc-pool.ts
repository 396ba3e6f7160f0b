// Every SBC this instance drives: the configured drachtio-servers and, on the embedded defaults,
// the embedded edge. Reports each SBC's state on /readyz and in metrics, drains one or all.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Health } from '../../platform/health.js';
import { counter, gauge } from '../../platform/metrics.js';
import { SbcConnection, type SbcConnectionDeps, type SbcEndpoint, type SbcState } from './sbc-connection.js';

export class SbcPool {
  readonly #sbcs = new Map<string, SbcConnection>();
  readonly #m;

  constructor(
    endpoints: SbcEndpoint[],
    install: SbcConnectionDeps['install'],
    private readonly log: Logger,
    metrics: Registry,
    health: Health,
  ) {
    this.#m = {
      connected: gauge(metrics, 'voice_sbc_connected', '1 while the app connection to the SBC is up', [
        'sbc',
      ]),
      draining: gauge(metrics, 'voice_sbc_draining', '1 while the SBC is drained (no new calls)', ['sbc']),
      transitions: counter(
        metrics,
        'voice_sbc_connection_changes_total',
        'SBC app-connection state changes, by new state',
        ['sbc', 'state'],
      ),
    };
    const onState = (sbc: SbcConnection, state: SbcState): void => {
      this.#m.connected.set({ sbc: sbc.name }, state === 'connected' ? 1 : 0);
      this.#m.draining.set({ sbc: sbc.name }, sbc.draining ? 1 : 0);
      this.#m.transitions.inc({ sbc: sbc.name, state });
    };
    for (const e of endpoints) {
      if (this.#sbcs.has(e.name)) throw new Error(`SBC ${e.name} is configured twice`);
      if (e.mode === 'listen' && e.tls)
        throw new Error(`SBC ${e.name}: TLS is offered in connect mode only (listen mode is plain TCP)`);
      const sbc = new SbcConnection(e, { install, onState, log });
      this.#sbcs.set(e.name, sbc);
      this.#m.connected.set({ sbc: e.name }, 0);
      this.#m.draining.set({ sbc: e.name }, 0);
      // One SBC down is reported but does not make the instance unready; all of them down does.
      health.register(
        `sbc:${e.name}`,
        () => {
          if (sbc.state !== 'connected')
            throw new Error(`${sbc.state}${sbc.lastError ? `: ${sbc.lastError}` : ''}`);
        },
        false,
      );
    }
    if (this.#sbcs.size > 0)
      health.register('sbcs', () => {
        if (!this.list().some((s) => s.state === 'connected'))
          throw new Error('no SBC connected: no call can reach this instance');
      });
  }

  async start(): Promise<void> {
    for (const sbc of this.#sbcs.values()) await sbc.start();
  }

  get(name: string): SbcConnection | undefined {
    return this.#sbcs.get(name);
  }

  list(): SbcConnection[] {
    return [...this.#sbcs.values()];
  }

  /** Resolves when every connect-mode SBC is connected (or the bound passes: then rejects). */
  async waitConnected(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = this.list().filter((s) => s.endpoint.mode === 'connect' && s.state !== 'connected');
      if (pending.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(
          `SBCs not connected within ${timeoutMs} ms: ${pending.map((s) => s.name).join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  drain(name?: string): void {
    for (const sbc of this.list()) if (!name || sbc.name === name) sbc.drain();
    this.log.info({ sbc: name ?? 'all' }, 'SBC drain');
  }

  close(): void {
    for (const sbc of this.list()) sbc.close();
  }
}
