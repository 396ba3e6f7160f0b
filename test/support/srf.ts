// drachtio-srf in tests: connect to an edge and wait for the authenticate reply, disconnect.
import Srf from 'drachtio-srf';

export interface SrfDialog {
  readonly id: string;
  on(event: 'destroy' | 'modify', fn: (...args: any[]) => void): void;
  destroy(): void;
  modify(sdp: string): Promise<string>;
}

export interface SrfRequestIn {
  readonly method: string;
  readonly body: string;
  readonly stackTxnId: string;
  readonly source_address: string;
  get(name: string): string | undefined;
  on(event: 'cancel', fn: () => void): void;
}

export interface SrfResponseOut {
  send(status: number, opts?: { headers?: Record<string, string>; body?: string }): void;
}

/** The part of drachtio-srf the tests use, typed (its own .d.ts lacks several of these). */
export interface SrfApp {
  invite(handler: (req: SrfRequestIn, res: SrfResponseOut) => unknown): void;
  options(handler: (req: SrfRequestIn, res: SrfResponseOut) => unknown): void;
  createUAS(req: SrfRequestIn, res: SrfResponseOut, opts: { localSdp: string }): Promise<SrfDialog>;
  createUAC(uri: string, opts: { localSdp: string; headers?: Record<string, string> }): Promise<SrfDialog>;
  createB2BUA(
    req: SrfRequestIn,
    res: SrfResponseOut,
    uri: string,
    opts: Record<string, unknown>,
  ): Promise<{ uas: SrfDialog; uac: SrfDialog }>;
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string> },
    cb: (err: unknown, req: any) => void,
  ): void;
  unregisterForMessages(verb: string): void;
  disconnect(): void;
  on(event: string, fn: (...args: any[]) => void): void;
  connect(opts: Record<string, unknown>): void;
}

export interface Connected {
  readonly srf: SrfApp;
  readonly hostports: string;
  readonly version: string;
}

export function connectSrf(
  port: number,
  secret: string,
  extra: Record<string, unknown> = {},
): Promise<Connected> {
  const srf = new Srf() as unknown as SrfApp;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('srf did not connect within 10 s')), 10_000);
    srf.on('error', () => {});
    srf.connect({ host: '127.0.0.1', port, secret, ...extra });
    srf.on('connect', (err: unknown, hostports: string, version: string) => {
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve({ srf, hostports, version });
    });
  });
}

export const SDP = [
  'v=0',
  'o=drachtio-app 1 1 IN IP4 127.0.0.1',
  's=acc',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');
