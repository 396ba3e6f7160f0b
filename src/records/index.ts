export { RecordsWriter, type RecordsWriterOptions, isTransient } from './writer.js';
export type { RecordKind, Column, Cell } from './record-kind.js';
export {
  CDR,
  type Cdr,
  type CallAttempt,
  type CallDirection,
  type CallDisposition,
  type CdrRecording,
} from './cdr.kind.js';
export { MDR, type Mdr, type MessageDirection, type MessageStatus } from './mdr.kind.js';
export { SIP_TRACE, type SipTrace, type TraceMessage } from './sip-trace.kind.js';
