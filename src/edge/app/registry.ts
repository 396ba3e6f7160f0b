// Which app gets a new request: apps register verbs with `route` (methods in lower case, or
// cdr:attempt/start/stop), and each new request goes to the next app, round-robin, among those
// that routed its method (as drachtio-server's ClientController does). `remove_route` removes
// only that verb, so an app draining INVITEs keeps its other routes and its dialogs.
import type { AppConnection } from './connection.js';

export class AppRegistry {
  private readonly byVerb = new Map<string, AppConnection[]>();
  private readonly next = new Map<string, number>();
  readonly connections = new Set<AppConnection>();

  add(conn: AppConnection): void {
    this.connections.add(conn);
  }

  remove(conn: AppConnection): void {
    this.connections.delete(conn);
    for (const verb of conn.routes) this.unroute(conn, verb);
  }

  route(conn: AppConnection, verb: string): void {
    const key = verb.toLowerCase();
    conn.routes.add(key);
    const list = this.byVerb.get(key) ?? [];
    if (!list.includes(conn)) list.push(conn);
    this.byVerb.set(key, list);
  }

  unroute(conn: AppConnection, verb: string): void {
    const key = verb.toLowerCase();
    conn.routes.delete(key);
    const list = this.byVerb.get(key);
    if (!list) return;
    const kept = list.filter((c) => c !== conn);
    if (kept.length === 0) this.byVerb.delete(key);
    else this.byVerb.set(key, kept);
  }

  /** The next app for a verb, or undefined when none routed it. */
  select(verb: string): AppConnection | undefined {
    const list = this.byVerb.get(verb);
    if (!list || list.length === 0) return undefined;
    const i = (this.next.get(verb) ?? 0) % list.length;
    this.next.set(verb, i + 1);
    return list[i];
  }

  hasRoute(verb: string): boolean {
    return (this.byVerb.get(verb)?.length ?? 0) > 0;
  }
}
