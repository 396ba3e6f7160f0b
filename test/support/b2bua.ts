// A small drachtio-srf B2BUA for SIP tests: each INVITE is bridged to the first target that
// answers (failing over on any failure), re-INVITEs are passed to the other leg, and a BYE on
// either leg ends the other. Counters let tests wait for what they expect.
import type { SrfApp } from './srf.js';

export interface B2buaCounters {
  invites: number;
  connected: number;
  failed: number;
  ended: number;
  reinvites: number;
  cancelled: number;
}

export function attachB2bua(srf: SrfApp, targets: () => string[]): B2buaCounters {
  const counters: B2buaCounters = {
    invites: 0,
    connected: 0,
    failed: 0,
    ended: 0,
    reinvites: 0,
    cancelled: 0,
  };
  const app: any = srf;
  app.invite(async (req: any, res: any) => {
    counters.invites += 1;
    req.on('cancel', () => {
      counters.cancelled += 1;
    });
    const list = targets();
    for (let i = 0; i < list.length; i++) {
      const last = i === list.length - 1;
      try {
        const { uas, uac } = await app.createB2BUA(req, res, list[i], {
          localSdpB: req.body,
          passFailure: last,
        });
        counters.connected += 1;
        const bridge = (a: any, b: any): void => {
          a.on('modify', (r: any, s: any) => {
            counters.reinvites += 1;
            b.modify(r.body).then(
              (sdp: string) => s.send(200, { body: sdp }),
              () => s.send(500),
            );
          });
          a.on('destroy', () => {
            counters.ended += 1;
            b.destroy();
          });
        };
        bridge(uas, uac);
        bridge(uac, uas);
        return;
      } catch {
        if (last || req.canceled) {
          counters.failed += 1;
          return;
        }
      }
    }
  });
  return counters;
}
