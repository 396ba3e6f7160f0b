// The drachtio-srf app that recorded test/fixtures/drachtio-wire/ (harness/app.js), ported so
// that it runs in a test process against any edge port and any sipp ports: the same srf calls,
// options and timings for each flow; instead of exiting, it resolves when the flow is done.
import { createHash, randomBytes } from 'node:crypto';
import Srf from 'drachtio-srf';
import { SDP } from './srf.js';

export type HarnessFlow = 'uas' | 'b2bua' | 'cancel' | 'failover' | 'uac' | 'options' | 'auth';

export interface HarnessOptions {
  readonly flow: HarnessFlow;
  readonly port: number;
  readonly secret: string;
  /** The first and second B-leg targets (app.js: sip:service@127.0.0.1:5080 and :5081). */
  readonly uas1: string;
  readonly uas2: string;
  readonly maxMs?: number;
}

export interface HarnessResult {
  readonly code: number;
  readonly log: string[];
}

export function runHarnessApp(o: HarnessOptions): Promise<HarnessResult> {
  return new Promise((resolve) => {
    const srf: any = new Srf();
    const lines: string[] = [];
    const log = (...a: unknown[]): void => {
      lines.push(a.map(String).join(' '));
    };
    let finished = false;
    const hard = setTimeout(() => {
      log('TIMEOUT');
      srf.disconnect();
      resolve({ code: 2, log: lines });
    }, o.maxMs ?? 30_000);
    const done = (code = 0, delay = 1500): void => {
      if (finished) return;
      finished = true;
      log('flow done, exiting in', delay, 'ms');
      setTimeout(() => {
        clearTimeout(hard);
        srf.disconnect();
        resolve({ code, log: lines });
      }, delay);
    };
    const connectOpts: Record<string, unknown> = { host: '127.0.0.1', port: o.port, secret: o.secret };
    if (o.flow === 'options') Object.assign(connectOpts, { enablePing: true, pingInterval: 5000 });
    srf.connect(connectOpts);
    srf.on('error', (err: Error) => log('srf error', err.message));
    srf.on('connect', (err: unknown, hostport: string, version: string) => {
      if (err) {
        log('connect error', err);
        done(1, 0);
        return;
      }
      log('connected', hostport, version);
      if (o.flow === 'uac') void runUac();
      if (o.flow === 'options') runOptionsOut();
    });

    const b2bua = (req: any, res: any, opts: Record<string, unknown> = {}): Promise<void> =>
      srf.createB2BUA(req, res, o.uas1, { localSdpB: req.body, ...opts }).then(({ uas, uac }: any) => {
        log('b2bua connected; A-leg dialog', uas.id, 'B-leg dialog', uac.id);
        uas.on('destroy', () => {
          log('A-leg hung up');
          uac.destroy();
          done();
        });
        uac.on('destroy', () => {
          log('B-leg hung up');
          uas.destroy();
          done();
        });
      });

    switch (o.flow) {
      case 'uas':
        srf.invite(async (req: any, res: any) => {
          log('INVITE in; txn', req.stackTxnId);
          const dlg = await srf.createUAS(req, res, { localSdp: SDP });
          log('UAS dialog established', dlg.id);
          dlg.on('destroy', () => {
            log('caller sent BYE');
            done();
          });
        });
        break;
      case 'b2bua':
        srf.on('cdr:attempt', (source: string, time: string, msg: any) =>
          log('cdr:attempt', source, time, msg.get('call-id')),
        );
        srf.on('cdr:start', (source: string, time: string, role: string) =>
          log('cdr:start', source, time, role),
        );
        srf.on('cdr:stop', (source: string, time: string, reason: string) =>
          log('cdr:stop', source, time, reason),
        );
        srf.invite((req: any, res: any) =>
          b2bua(req, res).catch((err: any) => {
            log('b2bua failed', err.status || err.message);
            done(1);
          }),
        );
        break;
      case 'cancel':
        srf.invite((req: any, res: any) => {
          req.on('cancel', () => log('caller CANCELed'));
          b2bua(req, res).catch((err: any) => {
            log('b2bua ended without answer:', err.status || err.message);
            done();
          });
        });
        break;
      case 'failover':
        srf.invite(async (req: any, res: any) => {
          try {
            await b2bua(req, res, { passFailure: false });
          } catch (err: any) {
            log('first UAS failed with', err.status, '- trying', o.uas2);
            try {
              const { uas, uac } = await srf.createB2BUA(req, res, o.uas2, { localSdpB: req.body });
              log('failover b2bua connected');
              uas.on('destroy', () => {
                uac.destroy();
                done();
              });
              uac.on('destroy', () => {
                uas.destroy();
                done();
              });
            } catch (err2: any) {
              log('failover failed', err2.status || err2.message);
              done(1);
            }
          }
        });
        break;
      case 'auth': {
        const realm = 'acc.local';
        const users: Record<string, string> = { alice: 's3cret' };
        const nonces = new Set<string>();
        const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
        srf.invite(async (req: any, res: any) => {
          const h = req.get('Proxy-Authorization');
          if (!h) {
            const nonce = randomBytes(8).toString('hex');
            nonces.add(nonce);
            log('challenging with 407');
            return res.send(407, {
              headers: {
                'Proxy-Authenticate': `Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=MD5`,
              },
            });
          }
          const p: Record<string, string> = {};
          (h as string)
            .replace(/^Digest\s+/i, '')
            .replace(/(\w+)=("([^"]*)"|[^,\s]*)/g, (m: string, k: string, v: string, q?: string) => {
              p[k] = q !== undefined ? q : v;
              return m;
            });
          const ha1 = md5(`${p.username}:${realm}:${users[p.username ?? ''] ?? ''}`);
          const ha2 = md5(`${req.method}:${p.uri}`);
          const expect = p.qop
            ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`)
            : md5(`${ha1}:${p.nonce}:${ha2}`);
          if (!nonces.has(p.nonce ?? '') || expect !== p.response) {
            log('bad credentials');
            return res.send(403);
          }
          log('credentials OK for', p.username);
          const dlg = await srf.createUAS(req, res, { localSdp: SDP });
          dlg.on('destroy', () => {
            log('caller sent BYE');
            done();
          });
        });
        break;
      }
      case 'options':
        srf.options((req: any, res: any) => {
          log('incoming OPTIONS from', req.source_address);
          res.send(200, { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS' } });
          setTimeout(() => done(0, 500), 6000);
        });
        break;
      case 'uac':
        break;
    }

    async function runUac(): Promise<void> {
      try {
        const dlg = await srf.createUAC(o.uas1, { localSdp: SDP, headers: { 'X-Acc-Test': 'uac' } });
        log('UAC dialog established', dlg.id);
        dlg.on('destroy', () => log('far end hung up'));
        setTimeout(() => {
          log('sending BYE');
          dlg.destroy();
          done();
        }, 1000);
      } catch (err: any) {
        log('createUAC failed', err.status || err.message);
        done(1);
      }
    }

    function runOptionsOut(): void {
      srf.request(
        o.uas1,
        { method: 'OPTIONS', headers: { 'X-Acc-Test': 'options-out' } },
        (err: unknown, req: any) => {
          if (err) {
            log('request error', err);
            return;
          }
          req.on('response', (res: any) => log('OPTIONS response', res.status, res.reason));
        },
      );
    }
  });
}
