// A short event-socket session before handing a media server to drachtio-fsmrf: authenticate, read
// `sofia status`, check the drachtio_mrf profile, exit. fsmrf cannot be trusted with a server that
// fails either: on a rejected password its ESL client (drachtio-modesl) never settles connect() and
// reconnects forever, and a missing profile makes fsmrf throw inside a callback (an uncaught
// exception that would end the daemon). Framing as in test/fixtures/freeswitch-esl/README.md §1.
import net from 'node:net';

const PROFILE_LINE = /^\s*drachtio_mrf\s.*sip:mod_sofia@((?:[0-9]{1,3}\.){3}[0-9]{1,3}:\d+)/m;

interface Message {
  headers: Map<string, string>;
  body: string;
}

/** Resolves with the profile's SIP address, or rejects with why the server is not usable. */
export function probeEventSocket(
  host: string,
  port: number,
  password: string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffer = Buffer.alloc(0);
    let step: 'auth-request' | 'auth-reply' | 'status' | 'done' = 'auth-request';
    const timer = setTimeout(
      () => finish(new Error(`event socket did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (err: Error | undefined, address?: string): void => {
      if (step === 'done') return;
      step = 'done';
      clearTimeout(timer);
      if (!err) socket.end('exit\n\n');
      else socket.destroy();
      if (err) reject(err);
      else resolve(address as string);
    };
    const next = (): Message | undefined => {
      const end = buffer.indexOf('\n\n');
      if (end < 0) return undefined;
      const headers = new Map<string, string>();
      for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) {
        const i = line.indexOf(': ');
        if (i > 0) headers.set(line.slice(0, i), decodeURIComponent(line.slice(i + 2)));
      }
      const length = Number(headers.get('Content-Length') ?? 0);
      if (buffer.length < end + 2 + length) return undefined;
      const body = buffer.subarray(end + 2, end + 2 + length).toString('utf8');
      buffer = buffer.subarray(end + 2 + length);
      return { headers, body };
    };
    socket.on('error', (err) => finish(new Error(`event socket: ${err.message}`)));
    socket.on('close', () => finish(new Error('event socket closed during the probe')));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let msg = next(); msg && step !== 'done'; msg = next()) {
        const type = msg.headers.get('Content-Type');
        if (type === 'text/rude-rejection')
          return finish(new Error('event socket refused this address (ACL)'));
        if (step === 'auth-request' && type === 'auth/request') {
          step = 'auth-reply';
          socket.write(`auth ${password}\n\n`);
        } else if (step === 'auth-reply' && type === 'command/reply') {
          if (msg.headers.get('Reply-Text') !== '+OK accepted')
            return finish(new Error('event socket password rejected'));
          step = 'status';
          socket.write('api sofia status\n\n');
        } else if (step === 'status' && type === 'api/response') {
          const m = PROFILE_LINE.exec(msg.body);
          if (!m) return finish(new Error('no drachtio_mrf SIP profile on the media server'));
          return finish(undefined, m[1]);
        }
      }
    });
  });
}
