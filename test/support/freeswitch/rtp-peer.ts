// A UDP peer for tests that talk RTP to the stand-in without sipp: sends 20 ms PCMA packets of a tone
// and counts what it receives.
import dgram from 'node:dgram';
import { linearToAlaw } from './audio.js';

export interface RtpPeer {
  readonly port: number;
  readonly received: number;
  /** An SDP offering/answering PCMA on this peer's port. */
  sdp(): string;
  /** Sends a tone to host:port every 20 ms until stop(). */
  play(target: { host: string; port: number }, hz: number): void;
  stop(): void;
  close(): void;
}

export async function startRtpPeer(): Promise<RtpPeer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  let received = 0;
  socket.on('message', () => received++);
  let timer: NodeJS.Timeout | undefined;
  return {
    port,
    get received() {
      return received;
    },
    sdp: () =>
      [
        'v=0',
        `o=peer 1 1 IN IP4 127.0.0.1`,
        's=-',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        `m=audio ${port} RTP/AVP 8 101`,
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=sendrecv',
        '',
      ].join('\r\n'),
    play(target, hz) {
      let seq = 0;
      let ts = 0;
      timer = setInterval(() => {
        const pkt = Buffer.alloc(12 + 160);
        pkt[0] = 0x80;
        pkt[1] = 8;
        pkt.writeUInt16BE(seq++ & 0xffff, 2);
        pkt.writeUInt32BE(ts >>> 0, 4);
        pkt.writeUInt32BE(0xabcdef01, 8);
        for (let i = 0; i < 160; i++)
          pkt[12 + i] = linearToAlaw(Math.round(6000 * Math.sin((2 * Math.PI * hz * (ts + i)) / 8000)));
        ts += 160;
        socket.send(pkt, target.port, target.host);
      }, 20);
    },
    stop() {
      clearInterval(timer);
    },
    close() {
      clearInterval(timer);
      socket.close();
    },
  };
}

/** The audio address of an SDP (c= and the first m=audio port). */
export function mediaTarget(sdp: string): { host: string; port: number } {
  const host = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1] ?? '127.0.0.1';
  const port = Number(/^m=audio (\d+) RTP\/S?AVP/m.exec(sdp)?.[1]);
  return { host, port };
}
