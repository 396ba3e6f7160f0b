// What the SIP layers above see of the transports: where a message came from, where one goes.
import type { Socket } from 'node:net';

export type TransportName = 'udp' | 'tcp';

export interface Remote {
  readonly transport: TransportName;
  readonly address: string;
  readonly port: number;
  /** For TCP, the connection a request arrived on (responses go back over it, RFC 3261 18.2.2). */
  readonly socket?: Socket | undefined;
}

export interface Inbound {
  /** The message bytes as a latin1 string (one character per octet). */
  readonly text: string;
  readonly remote: Remote;
  readonly localAddress: string;
  readonly localPort: number;
  /** For TCP: the framer already checked Content-Length against the body. */
  readonly stream: boolean;
}

export type InboundHandler = (message: Inbound) => void;

export interface SendResult {
  /** Called with an error when the message could not be handed to the network. */
  onError?: (err: Error) => void;
}
