export { RecordsWriter, type RecordsWriterOptions, isTransient } from './writer.js';
export type { RecordKind, Column, Cell } from './record-kind.js';
export { CDR, type Cdr, type CallAttempt, type CallDirection, type CallDisposition } from './cdr.kind.js';
export { MDR, type Mdr, type MessageDirection, type MessageStatus } from './mdr.kind.js';
