// drachtio-srf in tests: connect to an edge and wait for the authenticate reply, disconnect.
import Srf from 'drachtio-srf';

export type SrfApp = InstanceType<typeof Srf>;

export interface Connected {
  readonly srf: SrfApp;
  readonly hostports: string;
  readonly version: string;
}

export function connectSrf(
  port: number,
  secret: string,
  extra: Record<string, unknown> = {},
): Promise<Connected> {
  const srf = new Srf();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('srf did not connect within 10 s')), 10_000);
    srf.on('error', () => {});
    srf.connect({ host: '127.0.0.1', port, secret, ...extra } as never);
    srf.on('connect', ((err: unknown, hostports: string, version: string) => {
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve({ srf, hostports, version });
    }) as never);
  });
}

export const SDP = [
  'v=0',
  'o=drachtio-app 1 1 IN IP4 127.0.0.1',
  's=acc',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');
