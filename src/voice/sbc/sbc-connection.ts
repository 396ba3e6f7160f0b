// One SBC (a drachtio-server, or the embedded edge) reached over drachtio's app protocol through its
// own drachtio-srf instance. Two modes, as drachtio-srf has them: connect (the daemon connects to
// the SBC) and listen (the SBC connects to the daemon).
//
// Reconnecting is ours: drachtio-srf's own reconnect opens a plain TCP socket even when the first
// connection was TLS (drachtio-srf issue #211), so it is switched off (reconnect.maxAttempts 1) and
// every reconnect builds a fresh Srf with the same options, TLS included, after a doubling delay.
// Keep-alive pings (off by default in drachtio-srf) are switched on.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import DrachtioSrf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Region } from '../../config/index.js';
import type { Srf } from './srf-types.js';

export interface SbcEndpoint {
  name: string;
  region: Region;
  colocation: string;
  country: string;
  mode: 'connect' | 'listen';
  host: string;
  port: number;
  secret: string;
  tls: boolean;
  tlsCaFile?: string;
  tlsServerName?: string;
  pingIntervalMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export type SbcState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface SbcInfo {
  readonly name: string;
  readonly region: Region;
  readonly colocation: string;
  readonly country: string;
}

export interface SbcConnectionDeps {
  /** Registers the request handlers on a new Srf (before it connects: routes go out on connect). */
  install(srf: Srf, sbc: SbcConnection): void;
  onState(sbc: SbcConnection, state: SbcState): void;
  log: Logger;
}

const SrfCtor = DrachtioSrf as unknown as new () => Srf;

export class SbcConnection implements SbcInfo {
  #state: SbcState = 'disconnected';
  #srf: Srf | undefined;
  #draining = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #listenPort = 0;
  #sockets = 0;
  readonly #log: Logger;
  #lastError = '';
  reconnects = 0;

  constructor(
    readonly endpoint: SbcEndpoint,
    private readonly deps: SbcConnectionDeps,
  ) {
    this.#log = deps.log.child({ sbc: endpoint.name });
  }

  get name(): string {
    return this.endpoint.name;
  }
  get region(): Region {
    return this.endpoint.region;
  }
  get colocation(): string {
    return this.endpoint.colocation;
  }
  get country(): string {
    return this.endpoint.country;
  }
  get state(): SbcState {
    return this.#state;
  }
  get draining(): boolean {
    return this.#draining;
  }
  get lastError(): string {
    return this.#lastError;
  }
  /** The drachtio-srf of this SBC while connected. */
  get srf(): Srf | undefined {
    return this.#state === 'connected' ? this.#srf : undefined;
  }
  /** Listen mode: the bound port. */
  get listenPort(): number {
    return this.#listenPort;
  }
  /** New calls are taken only from a connected SBC that is not draining. */
  get accepting(): boolean {
    return this.#state === 'connected' && !this.#draining;
  }

  async start(): Promise<void> {
    if (this.endpoint.mode === 'listen') await this.#listen();
    else this.#connect();
  }

  /** No new calls from this SBC (its INVITE route is removed); calls up continue. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#log.info('SBC draining: INVITE route removed');
    this.#removeInviteRoute();
    this.deps.onState(this, this.#state);
  }

  /** Takes new calls again after drain(). */
  undrain(): void {
    if (!this.#draining) return;
    this.#draining = false;
    if (this.#state === 'connected') this.#srf?.reregisterForMessages('invite');
    this.deps.onState(this, this.#state);
  }

  close(): void {
    this.#setState('closed');
    clearTimeout(this.#retryTimer);
    const srf = this.#srf;
    this.#srf = undefined;
    if (!srf) return;
    try {
      if (this.endpoint.mode === 'listen') (srf.app as { close(): void }).close();
      else srf.disconnect();
    } catch {
      /* not connected: nothing to close */
    }
  }

  #removeInviteRoute(): void {
    if (this.#state !== 'connected' || !this.#srf) return;
    try {
      this.#srf.unregisterForMessages('invite');
    } catch (err) {
      this.#log.warn({ err }, 'removing the INVITE route failed');
    }
  }

  #setState(state: SbcState): void {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    this.deps.onState(this, state);
  }

  #tlsOptions(): Record<string, unknown> | undefined {
    const e = this.endpoint;
    if (!e.tls) return undefined;
    return {
      ...(e.tlsCaFile ? { ca: readFileSync(e.tlsCaFile) } : {}),
      servername: e.tlsServerName || e.host,
      rejectUnauthorized: true,
    };
  }

  #connect(): void {
    if (this.#state === 'closed') return;
    const e = this.endpoint;
    const srf = new SrfCtor();
    this.#srf = srf;
    this.#setState('connecting');
    const mine = (): boolean => this.#srf === srf && this.#state !== 'closed';
    srf.on('error', (err: Error) => {
      if (!mine()) return;
      this.#lastError = err.message;
      this.#log.warn({ err: err.message }, 'SBC connection error');
      this.#lost(srf);
    });
    srf.on('close', () => {
      if (mine()) this.#lost(srf);
    });
    srf.on('connect', (err: unknown, hostport: string, version: string) => {
      if (!mine()) {
        try {
          srf.disconnect();
        } catch {
          /* already gone */
        }
        return;
      }
      if (err) {
        this.#lastError = String((err as Error).message ?? err);
        this.#log.error({ err: this.#lastError }, 'SBC refused the app connection');
        this.#lost(srf);
        return;
      }
      this.#attempt = 0;
      this.#lastError = '';
      this.#log.info({ hostport, version, tls: e.tls }, 'SBC connected');
      this.#setState('connected');
      if (this.#draining) this.#removeInviteRoute();
    });
    this.deps.install(srf, this);
    const tls = this.#tlsOptions();
    srf.connect({
      host: e.host,
      port: e.port,
      secret: e.secret,
      ...(tls ? { tls } : {}),
      enablePing: true,
      pingInterval: e.pingIntervalMs,
      // Our reconnect, not drachtio-srf's (which would drop TLS): one attempt, then we take over.
      reconnect: { maxAttempts: 1 },
    });
  }

  #lost(srf: Srf): void {
    if (this.#srf !== srf || this.#retryTimer || this.#state === 'closed') return;
    this.#srf = undefined;
    try {
      srf.disconnect();
    } catch {
      /* no socket left */
    }
    this.#setState('disconnected');
    const e = this.endpoint;
    const delay = Math.min(e.reconnectMaxMs, e.reconnectMinMs * 2 ** Math.min(this.#attempt, 16));
    // Jitter (±20%) so many instances do not reconnect in lockstep after an SBC restart.
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
    this.#attempt += 1;
    this.reconnects += 1;
    this.#log.info({ delayMs: jittered, attempt: this.#attempt }, 'SBC reconnect scheduled');
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect();
    }, jittered);
    this.#retryTimer.unref();
  }

  async #listen(): Promise<void> {
    const e = this.endpoint;
    const srf = new SrfCtor();
    this.#srf = srf;
    srf.on('error', (err: Error) => {
      this.#lastError = err.message;
      this.#log.warn({ err: err.message }, 'SBC listener error');
    });
    srf.on('connect', (err: unknown) => {
      if (err) {
        this.#lastError = String((err as Error).message ?? err);
        return;
      }
      this.#sockets += 1;
      this.#setState('connected');
      if (this.#draining) this.#removeInviteRoute();
    });
    srf.on('close', () => {
      this.#sockets = Math.max(0, this.#sockets - 1);
      if (this.#sockets === 0) this.#setState('disconnected');
    });
    this.deps.install(srf, this);
    // TLS in listen mode would need a server certificate of the daemon: not offered (yet); the
    // pool refuses that combination at start.
    const server = srf.listen({
      host: e.host,
      port: e.port,
      secret: e.secret,
      enablePing: true,
      pingInterval: e.pingIntervalMs,
    }) as Server;
    await new Promise<void>((resolve, reject) => {
      if (server.listening) return resolve();
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    const address = server.address();
    this.#listenPort = typeof address === 'object' && address ? address.port : e.port;
    this.#log.info({ port: this.#listenPort }, 'listening for SBC connections');
  }
}
