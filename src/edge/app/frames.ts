// Frames the edge sends to apps, token for token as drachtio-server writes them.
//   <id>|sip|<source>|<bytes>|<proto>|<addr>|<port>|<time>|<txnId>|<dialogId>|[<recvAddr>|<recvPort>|] CRLF <SIP>
//   <id>|response|<app msgId>|OK|... or NOK|<reason>, NO|<reason>
//   <id>|cdr:<kind>|<source>|<time>[|<role or reason>] CRLF <SIP>
import { timeOfDay } from '../support/clock.js';

export interface SipMeta {
  readonly source: 'network' | 'application';
  readonly bytes: number;
  /** udp, tcp, or empty (drachtio leaves it empty for ACKs and for some echoes). */
  readonly protocol: string;
  readonly address: string;
  readonly port: number | string;
  readonly time?: string;
}

function metaTokens(meta: SipMeta): string {
  return `${meta.source}|${meta.bytes}|${meta.protocol}|${meta.address}|${meta.port}|${meta.time ?? timeOfDay()}`;
}

export function sipFrame(
  id: string,
  meta: SipMeta,
  txnId: string,
  dialogId: string,
  receivedOn: { address: string; port: number } | undefined,
  sip: string,
): string {
  const tail = receivedOn ? `${receivedOn.address}|${receivedOn.port}|` : '';
  return `${id}|sip|${metaTokens(meta)}|${txnId}|${dialogId}|${tail}\r\n${sip}`;
}

export function responseFrame(id: string, msgId: string, status: 'OK' | 'NOK' | 'NO', rest?: string): string {
  return rest === undefined
    ? `${id}|response|${msgId}|${status}`
    : `${id}|response|${msgId}|${status}|${rest}`;
}

/** The OK echo of a request the app sent: no dialog-id slot, "Msg sent:" after the txn id. */
export function requestEchoFrame(
  id: string,
  msgId: string,
  meta: SipMeta,
  txnId: string,
  sip: string,
): string {
  return `${id}|response|${msgId}|OK|${metaTokens(meta)}|${txnId}|Msg sent:|\r\n${sip}`;
}

/** The OK echo of a response the app sent: dialog id, then an empty token before "Msg sent:". */
export function responseEchoFrame(
  id: string,
  msgId: string,
  meta: SipMeta,
  txnId: string,
  dialogId: string,
  sip: string,
): string {
  return `${id}|response|${msgId}|OK|${metaTokens(meta)}|${txnId}|${dialogId}||Msg sent:|\r\n${sip}`;
}

export type CdrKind = 'attempt' | 'start' | 'stop';

export function cdrFrame(
  id: string,
  kind: CdrKind,
  source: 'network' | 'application',
  extra: string | undefined,
  sip: string,
): string {
  const tail = extra === undefined ? '' : `|${extra}`;
  return `${id}|cdr:${kind}|${source}|${timeOfDay()}${tail}\r\n${sip}`;
}
