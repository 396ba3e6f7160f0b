// G.711 decoding/encoding, RTP parsing and WAV analysis: what the stand-in and the tests need to turn
// RTP into PCM and to check what a recording carries.

/** ITU-T G.711 A-law byte to 16-bit linear. */
export function alawToLinear(a: number): number {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** ITU-T G.711 mu-law byte to 16-bit linear. */
export function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** 16-bit linear to A-law (for generated test audio). */
export function linearToAlaw(pcm: number): number {
  const SEG_END = [0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff, 0x3fff, 0x7fff];
  let mask: number;
  let v = pcm >> 3;
  if (v >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v > (SEG_END[seg] as number) >> 3) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return aval ^ mask;
}

export interface RtpPacket {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

export function parseRtp(msg: Buffer): RtpPacket | undefined {
  if (msg.length < 12 || msg[0]! >> 6 !== 2) return undefined;
  const cc = msg[0]! & 0x0f;
  let offset = 12 + cc * 4;
  if (msg[0]! & 0x10) {
    if (msg.length < offset + 4) return undefined;
    offset += 4 + msg.readUInt16BE(offset + 2) * 4;
  }
  let end = msg.length;
  if (msg[0]! & 0x20) end -= msg[msg.length - 1]!;
  if (end < offset) return undefined;
  return {
    payloadType: msg[1]! & 0x7f,
    sequence: msg.readUInt16BE(2),
    timestamp: msg.readUInt32BE(4),
    ssrc: msg.readUInt32BE(8),
    payload: msg.subarray(offset, end),
  };
}

/** Decodes a G.711 payload (PT 0 PCMU, PT 8 PCMA) to 16-bit samples; other payload types: undefined. */
export function decodeG711(payloadType: number, payload: Buffer): Int16Array | undefined {
  const decode = payloadType === 8 ? alawToLinear : payloadType === 0 ? ulawToLinear : undefined;
  if (!decode) return undefined;
  const out = new Int16Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = decode(payload[i]!);
  return out;
}

export interface WavInfo {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  frames: number;
  durationMs: number;
  /** Interleaved samples. */
  samples: Int16Array;
}

/** Parses a PCM WAV (RIFF, fmt, data chunks). Throws for anything else. */
export function parseWav(buf: Buffer): WavInfo {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a WAV file');
  let offset = 12;
  let fmt: { channels: number; sampleRate: number; bits: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ')
      fmt = {
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    if (id === 'data') {
      if (!fmt) throw new Error('data before fmt');
      const data = buf.subarray(body, Math.min(buf.length, body + size));
      const samples = new Int16Array(
        data.buffer.slice(data.byteOffset, data.byteOffset + (data.length & ~1)),
      );
      const frames = samples.length / fmt.channels;
      return {
        channels: fmt.channels,
        sampleRate: fmt.sampleRate,
        bitsPerSample: fmt.bits,
        frames,
        durationMs: (frames / fmt.sampleRate) * 1000,
        samples,
      };
    }
    offset = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}

/** Root mean square of one channel of an interleaved WAV. */
export function channelRms(wav: WavInfo, channel: number): number {
  let sum = 0;
  let n = 0;
  for (let i = channel; i < wav.samples.length; i += wav.channels) {
    const s = wav.samples[i]!;
    sum += s * s;
    n++;
  }
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/** A 44-byte PCM WAV header. */
export function wavHeader(channels: number, sampleRate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
