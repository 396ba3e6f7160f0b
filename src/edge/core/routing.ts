// Where a request inside a dialog goes (RFC 3261 section 12.2.1.1): with an empty route set or
// a loose-routing first hop, the Request-URI is the remote target and the route set becomes the
// Route headers; with a strict router first, the Request-URI is that router and the remote
// target is appended as the last Route. The next hop is the first Route, or the Request-URI.
import type { Dialog } from '../dialogs/dialog.js';
import { parseAddress } from '../sip/address.js';
import { parseSipUri, type SipUri } from '../sip/uri.js';
import type { Destination } from '../transport/resolve.js';
import type { Remote } from '../transport/types.js';
import type { Core } from './context.js';

export interface Hop {
  readonly ruri: string;
  readonly routes: readonly string[];
  readonly next: SipUri;
}

export function hopFor(dialog: Dialog): Hop | string {
  const target = parseSipUri(dialog.remoteTarget);
  if (dialog.routeSet.length === 0) {
    if (!target) return `unable to route to remote target ${dialog.remoteTarget}`;
    return { ruri: dialog.remoteTarget, routes: [], next: target };
  }
  const first = parseAddress(dialog.routeSet[0] as string);
  const firstUri = first ? parseSipUri(first.uri) : undefined;
  if (!firstUri) return 'unable to route: invalid first route';
  if (firstUri.params.has('lr'))
    return { ruri: dialog.remoteTarget, routes: dialog.routeSet, next: firstUri };
  const ruri = (first as { uri: string }).uri.split('?')[0] as string;
  return { ruri, routes: [...dialog.routeSet.slice(1), `<${dialog.remoteTarget}>`], next: firstUri };
}

/**
 * Resolves a URI to a Remote without waiting when its host is an address (the common case), so
 * that requests and their echoes keep the order the app sent them in. Host names take the
 * asynchronous path.
 */
export function destinationOf(
  core: Core,
  uri: SipUri,
): Destination | { error: string } | Promise<Destination | { error: string }> {
  const transport = core.resolver.transportFor(uri);
  if (typeof transport !== 'string') return transport;
  const host = uri.params.get('maddr') ?? uri.host;
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (/^[0-9.]+$/.test(bare) || bare.includes(':'))
    return { transport, address: bare, port: uri.port ?? 5060 };
  return core.resolver.resolve(uri);
}

/** The Remote for a request inside a dialog: its TCP connection while open, else the next hop. */
export function dialogRemote(
  core: Core,
  dialog: Dialog,
  hop: Hop,
): Remote | { error: string } | Promise<Remote | { error: string }> {
  if (dialog.flow && dialog.flow.transport === 'tcp' && dialog.flow.socket && !dialog.flow.socket.destroyed)
    return dialog.flow;
  return destinationOf(core, hop.next);
}

export function isSelf(core: Core, dest: Destination): boolean {
  return dest.port === core.transports.port && core.localAddresses.has(dest.address);
}
