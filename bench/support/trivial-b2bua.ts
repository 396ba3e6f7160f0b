// The trivial drachtio-srf B2BUA of the reference measurements (shared BENCHMARKS.md): answer
// by bridging every INVITE to one target, tear down the other leg on BYE. Run as its own
// process: `node --import=tsx bench/support/trivial-b2bua.ts <app port> <secret> <target uri>`.
// Prints "ready" on stdout once connected.
import Srf from 'drachtio-srf';

const [port, secret, target] = process.argv.slice(2);
if (!port || !secret || !target) {
  console.error('usage: trivial-b2bua.ts <app port> <secret> <target uri>');
  process.exit(2);
}
const srf: any = new Srf();
srf.connect({ host: '127.0.0.1', port: Number(port), secret });
srf.on('error', (err: Error) => console.error('srf error', err.message));
srf.on('connect', () => console.log('ready'));
srf.invite((req: any, res: any) => {
  srf
    .createB2BUA(req, res, target, { localSdpB: req.body })
    .then(({ uas, uac }: any) => {
      uas.on('destroy', () => uac.destroy());
      uac.on('destroy', () => uas.destroy());
    })
    .catch(() => {});
});
process.on('SIGTERM', () => {
  srf.disconnect();
  process.exit(0);
});
