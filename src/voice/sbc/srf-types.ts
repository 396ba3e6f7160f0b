// The part of drachtio-srf the voice feature uses, typed (the package's own typings miss several
// members and mistype others). Only what the call flows need; everything else stays untyped.
/* eslint-disable @typescript-eslint/no-explicit-any -- drachtio-srf's callbacks carry untyped messages */

export interface SipMessageLike {
  readonly raw?: string;
  readonly body?: string;
  get(name: string): string | undefined;
  has(name: string): boolean;
  getParsedHeader(name: string): any;
}

export interface SrfRequest extends SipMessageLike {
  readonly method: string;
  readonly uri: string;
  readonly body: string;
  readonly source_address: string;
  readonly source_port: number;
  readonly protocol: string;
  readonly callingNumber: string;
  readonly calledNumber: string;
  readonly canceled?: boolean;
  /** Header values by name, as drachtio-srf parsed them. */
  readonly headers?: Record<string, string>;
  on(event: 'cancel', fn: (cancelReq?: unknown) => void): void;
  cancel(opts?: { headers?: Record<string, string> }, cb?: (err: unknown) => void): void;
}

export interface SrfResponse {
  readonly finalResponseSent: boolean;
  send(
    status: number,
    reason?: string | { headers?: Record<string, string>; body?: string },
    opts?: { headers?: Record<string, string>; body?: string },
  ): void;
}

/** A response received from the far end (provisional or final). */
export interface SrfIncomingResponse extends SipMessageLike {
  readonly status: number;
  readonly reason: string;
}

export interface SrfDialog {
  readonly id: string;
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  readonly local: { sdp: string; uri: string; contact: string };
  readonly remote: { sdp: string; uri: string };
  readonly connected?: boolean;
  on(event: 'destroy', fn: (msg?: SrfRequest, reason?: string) => void): this;
  on(event: 'modify', fn: (req: SrfRequest, res: SrfResponse) => void): this;
  on(event: string, fn: (...args: any[]) => void): this;
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  modify(sdp: string): Promise<string>;
}

export interface SipError extends Error {
  status: number;
  reason?: string;
  res?: SrfIncomingResponse;
}

export interface UacOptions {
  localSdp: string;
  headers?: Record<string, string>;
  callingNumber?: string;
}

export interface Srf {
  invite(handler: (req: SrfRequest, res: SrfResponse) => void): void;
  options(handler: (req: SrfRequest, res: SrfResponse) => void): void;
  createUAS(
    req: SrfRequest,
    res: SrfResponse,
    opts: { localSdp: string; headers?: Record<string, string> },
  ): Promise<SrfDialog>;
  createUAC(
    uri: string,
    opts: UacOptions,
    progress?: {
      cbRequest?: (err: unknown, req: SrfRequest) => void;
      cbProvisional?: (res: SrfIncomingResponse) => void;
    },
  ): Promise<SrfDialog>;
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string>; body?: string },
    cb: (err: unknown, req: any) => void,
  ): void;
  connect(opts: Record<string, unknown>): void;
  listen(opts: Record<string, unknown>): unknown;
  disconnect(): void;
  unregisterForMessages(verb: string): void;
  reregisterForMessages(verb: string): void;
  on(event: string, fn: (...args: any[]) => void): void;
  removeAllListeners(event?: string): void;
  readonly app: any;
}
