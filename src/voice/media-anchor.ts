// The seam between call control and recording: the recording feature provides a MediaAnchor under
// ctx.provide('mediaAnchor'); call control asks it to put a media server in the path of a call whose
// deciding number (the called number inbound, the calling number outbound) has recording enabled.
//
// Flow: anchor() before the first B-leg INVITE → offer offerSdp to B → B answers with calleeSdp →
// connect(calleeSdp) gives the SDP to answer A with (A is answered only after B) → release() when
// the call is over (or never connected); its outcome goes into the CDR.
import type { Logger } from 'pino';
import type { Region } from '../config/index.js';
import type { RecordingSettings } from '../accounts/number-settings.js';

export interface MediaAnchorRequest {
  callId: string;
  customerId: string;
  region: Region;
  direction: 'inbound' | 'outbound';
  /** E.164 whose RecordingSettings decide. */
  number: string;
  settings: RecordingSettings;
  callerSdp: string;
  log: Logger;
}

export interface AnchoredMedia {
  /** Offer this to the B leg instead of the caller's SDP. */
  readonly offerSdp: string;
  /** B answered with calleeSdp; returns the SDP to answer the caller with; starts recording. */
  connect(calleeSdp: string): Promise<string>;
  control(action: 'start' | 'stop' | 'pause' | 'resume' | 'mask' | 'unmask'): Promise<void>;
  /** Call over (or never connected): finish recording, store it. */
  release(): Promise<RecordingOutcome>;
}

export interface RecordingOutcome {
  status: 'recorded' | 'unrecorded' | 'failed';
  reason?: string;
  recordingId?: string;
}

export interface MediaAnchor {
  anchor(req: MediaAnchorRequest): Promise<AnchoredMedia | { unrecorded: string }>;
}

export const MEDIA_ANCHOR_SERVICE = 'mediaAnchor';
