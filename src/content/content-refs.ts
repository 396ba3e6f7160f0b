// Where content lives and what binds its ciphertext to its place. One definition for every writer
// (recording, messaging) and every reader (API, export, sweeper, rotation):
//
//   recording        object recordings/<customerId>/<recordingId>.rce   context "recording:<id>"
//   message body     message_content.body_enc (RCE1)                     context "message-body:<messageId>"
//   MMS media item   object media/<customerId>/<messageId>/<n>.rce       context "message-media:<messageId>:<objectKey>"
//   cold export      object cold/<table>/<yyyy-mm>.ndjson.gz.rce         context "cold-export:<table>:<yyyy-mm>:<region>"
//
// message_content.media is a JSON array; each item is a MediaItem (extra fields are kept and ignored).

export interface MediaItem {
  objectKey: string;
  size: number;
  mimeType: string;
  filename?: string;
}

export const recordingKey = (customerId: string, recordingId: string) =>
  `recordings/${customerId}/${recordingId}.rce`;
export const mediaKey = (customerId: string, messageId: string, index: number) =>
  `media/${customerId}/${messageId}/${index}.rce`;
export const coldExportKey = (table: string, month: string, region: string) =>
  `cold/${table}/${month}-${region.toLowerCase()}.ndjson.gz.rce`;

export const recordingContext = (recordingId: string) => `recording:${recordingId}`;
export const messageBodyContext = (messageId: string) => `message-body:${messageId}`;
export const mediaContext = (messageId: string, objectKey: string) =>
  `message-media:${messageId}:${objectKey}`;
export const coldExportContext = (table: string, month: string, region: string) =>
  `cold-export:${table}:${month}:${region}`;

/** The media items of a message_content row that name an object; anything malformed is skipped. */
export function mediaItems(media: unknown): MediaItem[] {
  if (!Array.isArray(media)) return [];
  return media.filter(
    (m): m is MediaItem =>
      typeof m === 'object' && m !== null && typeof (m as { objectKey?: unknown }).objectKey === 'string',
  );
}
