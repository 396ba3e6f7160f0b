// The media-server pool: one drachtio-fsmrf MediaServer per configured FreeSWITCH, reconnected when
// its event socket goes away; health from that connection and its HEARTBEATs (Session-Count,
// Max-Sessions, Idle-CPU); the least-loaded live server is chosen for each recorded call.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MediaConfig, MediaServerConfig } from '../config/index.js';
import { counter, gauge } from '../platform/metrics.js';
import { createMrf, type FsMediaServer } from './fsmrf.js';
import { probeEventSocket } from './esl-probe.js';

export type ServerState = 'connecting' | 'up' | 'down';

export class MediaServerSlot {
  state: ServerState = 'down';
  ms: FsMediaServer | undefined;
  lastHeartbeat = 0;
  lastError: string | undefined;
  /** Anchors placed by this instance and not yet released (counts between heartbeats). */
  inUse = 0;
  #retry: NodeJS.Timeout | undefined;

  constructor(readonly config: MediaServerConfig) {}

  get name(): string {
    return this.config.name;
  }
  get sessions(): number {
    return this.ms?.currentSessions || 0;
  }
  get maxSessions(): number {
    return this.config.maxSessions || this.ms?.maxSessions || 0;
  }
  get idleCpu(): number {
    return this.ms?.cpuIdle ?? 100;
  }
  /** Load in [0, 1+]: FreeSWITCH's own count (all its users) or ours, whichever is higher. */
  get load(): number {
    const max = this.maxSessions;
    if (max <= 0) return 0;
    return Math.max(this.sessions, this.inUse) / max;
  }
  get full(): boolean {
    const max = this.maxSessions;
    return max > 0 && Math.max(this.sessions, this.inUse) >= max;
  }
  set retry(t: NodeJS.Timeout | undefined) {
    clearTimeout(this.#retry);
    this.#retry = t;
  }
}

export interface MediaPoolDeps {
  config: MediaConfig;
  /** A connected drachtio-srf: fsmrf sends its INVITEs to FreeSWITCH through it. */
  srf: unknown;
  log: Logger;
  metrics: Registry;
  now?: () => number;
}

/** The pool's metrics (created at feature start, exported from the first scrape). */
export function poolMetrics(metrics: Registry) {
  return {
    up: gauge(
      metrics,
      'media_server_up',
      "1 when the media server's event socket is connected and heartbeating",
      ['server'],
    ),
    sessions: gauge(metrics, 'media_server_sessions', 'sessions on the media server (its last HEARTBEAT)', [
      'server',
    ]),
    connects: counter(metrics, 'media_server_connects_total', 'event-socket connection attempts by outcome', [
      'server',
      'outcome',
    ]),
  };
}

export type PickResult =
  { slot: MediaServerSlot } | { unavailable: 'no_media_server' | 'all_down' | 'all_full' };

export class MediaPool {
  readonly slots: MediaServerSlot[];
  #closed = false;
  readonly #now: () => number;
  readonly #m: ReturnType<typeof poolMetrics>;

  constructor(private readonly deps: MediaPoolDeps) {
    this.slots = deps.config.servers.map((s) => new MediaServerSlot(s));
    this.#now = deps.now ?? Date.now;
    this.#m = poolMetrics(deps.metrics);
    for (const s of this.slots) this.#m.up.set({ server: s.name }, 0);
  }

  /** Connects every server in the background; each keeps reconnecting until close(). */
  start(): void {
    for (const slot of this.slots) void this.#connect(slot);
  }

  async #connect(slot: MediaServerSlot): Promise<void> {
    if (this.#closed) return;
    const { config, log } = this.deps;
    const c = slot.config;
    slot.state = 'connecting';
    try {
      await probeEventSocket(c.eslHost, c.eslPort, c.eslSecret.reveal(), config.connectTimeoutMs);
    } catch (err) {
      return this.#failed(slot, err as Error);
    }
    if (this.#closed) return;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const attempt = createMrf(this.deps.srf).connect({
      address: c.eslHost,
      port: c.eslPort,
      secret: c.eslSecret.reveal(),
      listenAddress: c.listenHost,
      listenPort: c.listenPort,
      ...(c.advertisedHost ? { advertisedAddress: c.advertisedHost } : {}),
      ...(c.advertisedPort ? { advertisedPort: c.advertisedPort } : {}),
    });
    try {
      const ms = await Promise.race([
        attempt,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(new Error(`no ready event socket within ${config.connectTimeoutMs} ms`));
          }, config.connectTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (this.#closed) {
        ms.disconnect();
        return;
      }
      // The B-leg is a 3pcc endpoint: with FreeSWITCH's default (rtp_secure_media optional) it
      // negotiates SRTP, keeps it after the re-INVITE with the callee's plain-RTP answer, and the
      // callee's audio is lost (README §7.1). Forbid SRTP on inbound channels of this server.
      const set = await ms.api('global_setvar rtp_secure_media_inbound=forbidden');
      if (!set.startsWith('+OK')) log.warn({ server: slot.name, reply: set.trim() }, 'global_setvar refused');
      slot.ms = ms;
      slot.state = 'up';
      slot.lastHeartbeat = this.#now();
      slot.lastError = undefined;
      this.#m.up.set({ server: slot.name }, 1);
      this.#m.connects.inc({ server: slot.name, outcome: 'ok' });
      log.info({ server: slot.name, sip: ms.sip.ipv4.udp.address }, 'media server connected');
      ms.conn.on('esl::event::HEARTBEAT::*', () => {
        slot.lastHeartbeat = this.#now();
        this.#m.sessions.set({ server: slot.name }, slot.sessions);
      });
      ms.on('error', (err: unknown) => log.warn({ server: slot.name, err }, 'media server connection error'));
      ms.on('end', () => this.#lost(slot, ms, 'event socket closed'));
    } catch (err) {
      clearTimeout(timer);
      // A connect that completes after its timeout is closed at once (it is not in the pool).
      if (timedOut)
        attempt.then(
          (late) => late.disconnect(),
          () => undefined,
        );
      this.#failed(slot, err as Error);
    }
  }

  #failed(slot: MediaServerSlot, err: Error): void {
    slot.state = 'down';
    slot.lastError = err.message;
    this.#m.up.set({ server: slot.name }, 0);
    this.#m.connects.inc({ server: slot.name, outcome: 'failed' });
    this.deps.log.warn(
      { server: slot.name, err: slot.lastError },
      'media server connection failed; retrying',
    );
    if (!this.#closed) slot.retry = setTimeout(() => void this.#connect(slot), this.deps.config.reconnectMs);
  }

  #lost(slot: MediaServerSlot, ms: FsMediaServer, why: string): void {
    if (slot.ms !== ms) return;
    slot.ms = undefined;
    slot.state = 'down';
    slot.lastError = why;
    this.#m.up.set({ server: slot.name }, 0);
    this.deps.log.warn({ server: slot.name, why }, 'media server lost; reconnecting');
    try {
      ms.disconnect(); // stops modesl's own reconnect loop; the pool reconnects with a fresh MediaServer
    } catch {
      /* already closed */
    }
    if (!this.#closed) slot.retry = setTimeout(() => void this.#connect(slot), this.deps.config.reconnectMs);
  }

  /** Whether a slot can take a call now: connected, heartbeating, not full. */
  usable(slot: MediaServerSlot): boolean {
    return (
      slot.state === 'up' &&
      !!slot.ms?.connected() &&
      this.#now() - slot.lastHeartbeat <= this.deps.config.heartbeatStaleMs &&
      !slot.full
    );
  }

  /** The least-loaded usable server (ties: the most idle CPU), or why there is none. */
  pick(): PickResult {
    if (this.slots.length === 0) return { unavailable: 'no_media_server' };
    const live = this.slots.filter(
      (s) =>
        s.state === 'up' &&
        !!s.ms?.connected() &&
        this.#now() - s.lastHeartbeat <= this.deps.config.heartbeatStaleMs,
    );
    if (live.length === 0) return { unavailable: 'all_down' };
    const free = live.filter((s) => !s.full);
    if (free.length === 0) return { unavailable: 'all_full' };
    free.sort((a, b) => a.load - b.load || b.idleCpu - a.idleCpu);
    return { slot: free[0] as MediaServerSlot };
  }

  /** For /readyz: throws when the server is not usable (non-critical: calls go on unrecorded). */
  check(slot: MediaServerSlot): void {
    if (slot.state !== 'up') throw new Error(`${slot.state}${slot.lastError ? `: ${slot.lastError}` : ''}`);
    if (this.#now() - slot.lastHeartbeat > this.deps.config.heartbeatStaleMs)
      throw new Error(`no HEARTBEAT for ${Math.round((this.#now() - slot.lastHeartbeat) / 1000)} s`);
    if (slot.full) throw new Error(`full (${slot.sessions}/${slot.maxSessions} sessions)`);
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.slots) {
      slot.retry = undefined;
      const ms = slot.ms;
      slot.ms = undefined;
      slot.state = 'down';
      try {
        ms?.disconnect();
      } catch {
        /* already closed */
      }
    }
  }
}
