// The parts of the `smpp` package (0.5.x, no bundled types) this project uses.
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  export interface PDU {
    command: string;
    command_id: number;
    command_status: number;
    command_length: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): PDU;
    toBuffer(): Buffer;
  }
  export const PDU: {
    new (command: string, options?: Record<string, unknown>): PDU;
    maxLength: number;
  };

  export class Session extends EventEmitter {
    socket: Socket;
    sequence: number;
    send(pdu: PDU, onResponse?: (pdu: PDU) => void, onSent?: (pdu: PDU) => void): boolean;
    close(cb?: () => void): void;
    destroy(cb?: () => void): void;
    pause(): void;
    resume(): void;
    [command: string]: unknown;
  }

  export interface Server extends NetServer {
    sessions: Session[];
  }

  export function addTLV(name: string, options: { id: number; type: unknown }): void;
  export function connect(options: Record<string, unknown>, listener?: () => void): Session;
  export function createServer(
    options: Record<string, unknown>,
    listener?: (session: Session) => void,
  ): Server;
}

declare module 'smpp/lib/defs.js' {
  interface Param {
    filter?: { encode(v: unknown): unknown; decode(v: unknown, skipUdh?: boolean): unknown };
  }
  export const commands: Record<string, { id: number; params?: Record<string, Param> }>;
  export const tlvs: Record<string, Param & { id: number }>;
  export const errors: Record<string, number>;
  export const types: { tlv: Record<string, unknown> };
}
