// The seam between the call flow and recording is defined by voice (src/voice/media-anchor.ts); the
// recording feature provides its MediaAnchor under MEDIA_ANCHOR_SERVICE. Re-exported here with the
// list of live control actions the API accepts.
import type { AnchoredMedia } from '../voice/media-anchor.js';

export type {
  MediaAnchor,
  MediaAnchorRequest,
  AnchoredMedia,
  RecordingOutcome,
} from '../voice/media-anchor.js';
export { MEDIA_ANCHOR_SERVICE } from '../voice/media-anchor.js';

export type ControlAction = Parameters<AnchoredMedia['control']>[0];
export const CONTROL_ACTIONS: readonly ControlAction[] = [
  'start',
  'stop',
  'pause',
  'resume',
  'mask',
  'unmask',
];
