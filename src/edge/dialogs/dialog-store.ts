// Dialogs by the id apps use, by the (Call-ID, local tag, remote tag) triple requests from the
// network carry, and by Call-ID (drachtio sends an app's `sip||` request inside a dialog when its
// Call-ID names one). Bounded: past the limit, new dialog-forming requests are refused.
import { legKey, type Dialog } from './dialog.js';

export class DialogStore {
  private readonly byId = new Map<string, Dialog>();
  private readonly byLeg = new Map<string, Dialog>();
  private readonly byCallId = new Map<string, Dialog>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.byId.size;
  }

  get full(): boolean {
    return this.byId.size >= this.limit;
  }

  add(dialog: Dialog): void {
    this.byId.set(dialog.id, dialog);
    this.byCallId.set(dialog.callId, dialog);
    if (dialog.remoteTag) this.byLeg.set(dialog.legKey, dialog);
  }

  /** Called once a UAC dialog learns its remote tag. */
  indexLeg(dialog: Dialog): void {
    this.byLeg.set(dialog.legKey, dialog);
  }

  get(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  findLeg(callId: string, localTag: string, remoteTag: string): Dialog | undefined {
    return this.byLeg.get(legKey(callId, localTag, remoteTag));
  }

  findByCallId(callId: string): Dialog | undefined {
    return this.byCallId.get(callId);
  }

  remove(dialog: Dialog): void {
    if (this.byId.get(dialog.id) === dialog) this.byId.delete(dialog.id);
    if (this.byLeg.get(dialog.legKey) === dialog) this.byLeg.delete(dialog.legKey);
    if (this.byCallId.get(dialog.callId) === dialog) this.byCallId.delete(dialog.callId);
  }

  values(): IterableIterator<Dialog> {
    return this.byId.values();
  }
}
