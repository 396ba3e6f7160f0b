// Detecting an unreachable UDP peer quickly, as sofia-sip does through ICMP errors: drachtio
// hands the app a locally generated 503 when the far end's port is closed (transcript x).
// Node does not report ICMP errors on an unconnected socket, so before the first request to a
// peer the edge has not heard from, it sends a CRLF keep-alive (which SIP receivers ignore,
// RFC 3261 section 7.5) from a connected socket of its own; ECONNREFUSED on that socket means
// the port is closed.
import dgram from 'node:dgram';
import type { TimerWheel } from '../support/timer-wheel.js';

const PROBE_WINDOW_MS = 1_000;
const PING = Buffer.from('\r\n\r\n', 'latin1');

export class ReachabilityProbe {
  private readonly inFlight = new Map<string, Array<() => void>>();
  private readonly sockets = new Set<dgram.Socket>();

  constructor(
    private readonly timers: TimerWheel,
    private readonly maxInFlight = 256,
  ) {}

  /** Calls `onRefused` if the peer's port turns out to be closed; says nothing otherwise. */
  probe(address: string, port: number, onRefused: () => void): void {
    const key = `${address}:${port}`;
    const waiting = this.inFlight.get(key);
    if (waiting) {
      waiting.push(onRefused);
      return;
    }
    if (this.inFlight.size >= this.maxInFlight) return;
    const callbacks = [onRefused];
    this.inFlight.set(key, callbacks);
    const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    this.sockets.add(socket);
    let done = false;
    const finish = (refused: boolean): void => {
      if (done) return;
      done = true;
      this.inFlight.delete(key);
      this.sockets.delete(socket);
      socket.close();
      if (refused) for (const cb of callbacks) cb();
    };
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED'));
    socket.on('message', () => finish(false));
    socket.connect(port, address, () => {
      if (done) return;
      socket.send(PING, (err) => {
        if (err) finish((err as NodeJS.ErrnoException).code === 'ECONNREFUSED');
      });
    });
    this.timers.schedule(PROBE_WINDOW_MS, () => finish(false));
  }

  close(): void {
    this.inFlight.clear();
    for (const socket of this.sockets) socket.close();
    this.sockets.clear();
  }
}
