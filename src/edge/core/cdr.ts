// CDR events (drachtio's cdr:attempt / cdr:start / cdr:stop) for apps that routed them: an
// attempt for each INVITE in or out, a start on its 200, a stop when it is rejected, cancelled
// or released. Each event goes to one app, round-robin among those that routed it.
import { cdrFrame, type CdrKind } from '../app/frames.js';
import type { Core } from './context.js';

export type StopReason =
  'call-rejected' | 'call-canceled' | 'normal-release' | 'system-initiated-termination';

function emit(
  core: Core,
  kind: CdrKind,
  source: 'network' | 'application',
  extra: string | undefined,
  sip: string,
): void {
  const app = core.registry.select(`cdr:${kind}`);
  if (!app) return;
  app.send(cdrFrame(core.ids.uuid(), kind, source, extra, sip));
}

export const cdr = {
  attempt(core: Core, source: 'network' | 'application', sip: string): void {
    emit(core, 'attempt', source, undefined, sip);
  },
  start(core: Core, source: 'network' | 'application', role: 'uac' | 'uas', sip: string): void {
    emit(core, 'start', source, role, sip);
  },
  stop(core: Core, source: 'network' | 'application', reason: StopReason, sip: string): void {
    emit(core, 'stop', source, reason, sip);
  },
};
