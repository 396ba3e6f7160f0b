// The seam between the call flow (src/voice) and recording, as the voice feature defines it in
// src/voice/media-anchor.ts; repeated here (structurally identical) so that recording builds on its
// own. The recording feature provides a MediaAnchor as ctx.provide('mediaAnchor', ...).
import type { Logger } from 'pino';
import type { Region } from '../config/index.js';
import type { RecordingSettings } from '../accounts/number-settings.js';

export interface MediaAnchorRequest {
  callId: string;
  customerId: string;
  region: Region;
  direction: 'inbound' | 'outbound';
  /** E.164 whose RecordingSettings decide (called number inbound, calling number outbound). */
  number: string;
  settings: RecordingSettings;
  callerSdp: string;
  log: Logger;
}

export type ControlAction = 'start' | 'stop' | 'pause' | 'resume' | 'mask' | 'unmask';
export const CONTROL_ACTIONS: readonly ControlAction[] = [
  'start',
  'stop',
  'pause',
  'resume',
  'mask',
  'unmask',
];

export interface AnchoredMedia {
  /** Offered to the B leg instead of the caller's SDP. */
  readonly offerSdp: string;
  /** B answered: returns the SDP to answer the caller with; starts recording. */
  connect(calleeSdp: string): Promise<string>;
  control(action: ControlAction): Promise<void>;
  /** Call over or never connected: finish, upload, store. */
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
