// drachtio-fsmrf 4.1 (CommonJS, untyped), typed for the parts this project uses. fsmrf drives
// FreeSWITCH through the event socket (drachtio-modesl) and sends its INVITEs through drachtio-srf.
import { createRequire } from 'node:module';

export interface FsEvent {
  getHeader(name: string): string | undefined;
  getBody(): string;
}

export interface FsEndpoint {
  readonly uuid: string;
  readonly local: { sdp: string; mediaIp?: string; mediaPort?: string };
  readonly remote: { sdp?: string };
  readonly connected: boolean;
  modify(sdp: string): Promise<unknown>;
  bridge(other: FsEndpoint | string): Promise<void>;
  set(name: string, value: string | boolean): Promise<unknown>;
  play(file: string): Promise<unknown>;
  execute(app: string, arg?: string): Promise<FsEvent>;
  recordSession(path: string): Promise<FsEvent>;
  api(command: string, args?: string | string[]): Promise<FsEvent>;
  destroy(): Promise<void>;
  on(event: 'destroy', fn: () => void): void;
}

export interface FsMediaServer {
  readonly maxSessions: number;
  readonly currentSessions: number;
  readonly cpuIdle?: number;
  readonly hostname?: string;
  readonly address: string;
  readonly sip: { ipv4: { udp: { address?: string } } };
  createEndpoint(opts?: {
    remoteSdp?: string;
    codecs?: string[];
    headers?: Record<string, string>;
  }): Promise<FsEndpoint>;
  api(command: string): Promise<string>;
  connected(): boolean;
  disconnect(): void;
  on(event: 'end' | 'error' | 'channel::open' | 'channel::close', fn: (...args: any[]) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  removeAllListeners(event?: string): void;
  /** The inbound ESL connection (drachtio-modesl Connection). */
  readonly conn: {
    on(event: string, fn: (...args: any[]) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
    socket?: { destroyed?: boolean };
  };
}

export interface MrfConnectOptions {
  address: string;
  port: number;
  secret: string;
  listenAddress?: string;
  listenPort?: number;
  advertisedAddress?: string;
  advertisedPort?: number;
  profile?: string;
}

export interface FsMrf {
  connect(opts: MrfConnectOptions): Promise<FsMediaServer>;
}

const require = createRequire(import.meta.url);
const MrfClass = require('drachtio-fsmrf') as new (srf: unknown) => FsMrf;

/** An fsmrf instance sending its INVITEs through `srf` (a connected drachtio-srf). */
export function createMrf(srf: unknown): FsMrf {
  return new MrfClass(srf);
}
