// Webhook POSTs over keep-alive agents with a bounded number of sockets per customer host: a burst of
// deliveries queues on the agent instead of opening thousands of connections (which makes every
// request time out). Redirects are not followed (a webhook answers 2xx or it failed).
import http from 'node:http';
import https from 'node:https';

export class WebhookClient {
  readonly #http: http.Agent;
  readonly #https: https.Agent;

  constructor(maxSocketsPerHost: number) {
    this.#http = new http.Agent({ keepAlive: true, maxSockets: maxSocketsPerHost });
    this.#https = new https.Agent({ keepAlive: true, maxSockets: maxSocketsPerHost });
  }

  /** Resolves with the status code; rejects on a network error or after timeoutMs. */
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        u,
        {
          method: 'POST',
          agent: secure ? this.#https : this.#http,
          headers: { ...headers, 'content-length': String(payload.length) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
