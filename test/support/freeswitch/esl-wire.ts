// Event-socket framing as FreeSWITCH 1.10 writes it (see ../../fixtures/freeswitch-esl/README.md §1):
// LF-only header blocks, Content-Length bodies with no terminator, JSON events with Content-Length
// first, URL-encoded plain-text header lists (CHANNEL_DATA, uuid_dump).
import type { Socket } from 'node:net';

export interface EslCommand {
  /** The command line, e.g. `api uuid_dump <uuid>` or `sendmsg <uuid>`. */
  line: string;
  /** Header lines after the command line (sendmsg), by name as sent. */
  headers: Map<string, string>;
  /** The exact bytes received, for transcripts. */
  raw: string;
}

/**
 * Calls onCommand for every client command. drachtio-modesl writes the command line, each header and
 * the final LF as separate writes, so commands are buffered until the empty line.
 */
export function readCommands(socket: Socket, onCommand: (cmd: EslCommand) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end < 0) break;
      const raw = buffer.slice(0, end + 2);
      buffer = buffer.slice(end + 2);
      const lines = raw.replace(/\r/g, '').split('\n');
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      const line = (lines.shift() ?? '').trim();
      if (!line) continue;
      const headers = new Map<string, string>();
      for (const l of lines) {
        const colon = l.indexOf(':');
        if (colon > 0) headers.set(l.slice(0, colon).trim(), l.slice(colon + 1).replace(/^ /, ''));
      }
      onCommand({ line, headers, raw });
    }
  });
}

export const commandReply = (text: string): string => `Content-Type: command/reply\nReply-Text: ${text}\n\n`;

export const apiResponse = (body: string): string =>
  `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;

export const eventJson = (fields: Record<string, string>): string => {
  const body = JSON.stringify(fields);
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`;
};

const GOODBYE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

/** The notice before FreeSWITCH closes a connection; outbound ones name the channel. */
export const disconnectNotice = (uuid?: string): string =>
  uuid
    ? `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${uuid}\nContent-Disposition: disconnect\nContent-Length: ${GOODBYE.length}\n\n${GOODBYE}`
    : `Content-Type: text/disconnect-notice\nContent-Length: ${GOODBYE.length}\n\n${GOODBYE}`;

/** FreeSWITCH's URL-encoding of plain-text header values (spaces %20, reserved characters escaped). */
export const urlEncode = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** A plain-text header list, URL-encoded values, no trailing empty line. */
export const headerList = (fields: [string, string][]): string =>
  fields.map(([k, v]) => `${k}: ${urlEncode(v)}\n`).join('');
