// Free ports for peers that need an explicit one (sipp has no "port 0" that it reports back).
// A port is free when both a TCP listener and a UDP socket could bind it; both are closed before
// the port is handed out, so a peer can take it. Ports handed out in this process are not handed
// out again, so two sipps of one test file never race for the same number.
import dgram from 'node:dgram';
import net from 'node:net';

const handedOut = new Set<number>();

function bindTcp(port: number, host: string): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

function bindUdp(port: number, host: string): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, host, () => resolve(socket));
  });
}

/** A port on which TCP and UDP are both free right now (on 127.0.0.1 unless told otherwise). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const tcp = await bindTcp(0, host);
    if (!tcp) continue;
    const port = (tcp.address() as net.AddressInfo).port;
    const udp = await bindUdp(port, host);
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (!udp) continue;
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free UDP+TCP port found after 50 attempts');
}

/** Whether a local UDP socket or TCP listener is bound to this port (read from /proc/net). */
export async function isBound(port: number, protocol: 'udp' | 'tcp'): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of protocol === 'udp'
    ? ['/proc/net/udp', '/proc/net/udp6']
    : ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const state = cols[3];
      if (!local || !local.endsWith(`:${hex}`)) continue;
      // For TCP only a listener (state 0A) counts.
      if (protocol === 'udp' || state === '0A') return true;
    }
  }
  return false;
}
