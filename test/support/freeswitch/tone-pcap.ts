// Generates a pcap of PCMA RTP carrying a sine tone, for sipp's play_pcap_audio (the callee side of
// the recording tests, so that its channel is distinguishable from the caller's speech).
import { writeFileSync } from 'node:fs';
import { linearToAlaw } from './audio.js';

export function writeTonePcap(
  file: string,
  opts: { seconds: number; hz?: number; amplitude?: number },
): void {
  const hz = opts.hz ?? 1000;
  const amplitude = opts.amplitude ?? 8000;
  const packets = Math.round((opts.seconds * 1000) / 20);
  const parts: Buffer[] = [];
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(global);
  let seq = 1000;
  let ts = 0;
  for (let n = 0; n < packets; n++) {
    const rtp = Buffer.alloc(12 + 160);
    rtp[0] = 0x80;
    rtp[1] = 8;
    rtp.writeUInt16BE(seq & 0xffff, 2);
    rtp.writeUInt32BE(ts >>> 0, 4);
    rtp.writeUInt32BE(0x1234abcd, 8);
    for (let i = 0; i < 160; i++)
      rtp[12 + i] = linearToAlaw(Math.round(amplitude * Math.sin((2 * Math.PI * hz * (ts + i)) / 8000)));
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(6100, 0);
    udp.writeUInt16BE(6000, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip.writeUInt16BE(n & 0xffff, 4);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from([127, 0, 0, 1]).copy(ip, 12);
    Buffer.from([127, 0, 0, 1]).copy(ip, 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp]);
    const rec = Buffer.alloc(16);
    const t = n * 0.02;
    rec.writeUInt32LE(Math.floor(t), 0);
    rec.writeUInt32LE(Math.round((t % 1) * 1e6), 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
    seq++;
    ts += 160;
  }
  writeFileSync(file, Buffer.concat(parts));
}
