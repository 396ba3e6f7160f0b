// Recording tests: a daemon (or several) with the FreeSWITCH stand-in as its media server, an edge as
// the SBC, sipp caller and callee playing different audio, and a minimal drachtio-srf B2BUA that puts
// each call through the daemon's MediaAnchor (until the voice flow drives it, this is the caller of
// the seam).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Test } from 'tap';
import type { App } from '../../src/app.js';
import type { RecordingSettings } from '../../src/accounts/number-settings.js';
import type { Region } from '../../src/config/index.js';
import type { MediaAnchor, RecordingOutcome } from '../../src/recording/anchor.types.js';
import { secret, tempDir } from './config.js';
import type { FreeSwitchStandIn } from './freeswitch/freeswitch.js';
import { writeTonePcap } from './freeswitch/tone-pcap.js';
import { freePort } from './ports.js';
import { startSipp, type SippProcess, type SippResult } from './sipp.js';
import type { SrfApp } from './srf.js';

const SIPP_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sipp');

/** The `media` configuration section pointing at a stand-in, through the edge at appPort. */
export function mediaConfig(fs: FreeSwitchStandIn, edge: { appPort: number; secret: string }) {
  return {
    servers: [
      {
        name: 'fs1',
        eslHost: '127.0.0.1',
        eslPort: fs.eslPort,
        eslSecret: secret(fs.password),
        listenHost: '127.0.0.1',
        listenPort: 0,
        advertisedHost: '',
        advertisedPort: 0,
        maxSessions: 0,
        recordingsDir: fs.recordingsDir,
        filesUrl: fs.filesUrl,
        filesToken: secret(fs.filesToken),
      },
    ],
    drachtio: { host: '127.0.0.1', port: edge.appPort, secret: secret(edge.secret) },
    heartbeatStaleMs: 10_000,
    connectTimeoutMs: 3000,
    reconnectMs: 200,
  };
}

export interface CallTarget {
  customerId: string;
  region: Region;
  number: string;
  settings: RecordingSettings;
}

export interface AnchoredB2bua {
  outcomes: { callId: string; outcome: RecordingOutcome; unrecorded?: string }[];
  /** Call ids of calls in progress (the anchored ones), in arrival order. */
  callIds: string[];
}

/**
 * A B2BUA on `srf` that anchors each call through `anchor` (recording decided by `target()`), then
 * bridges to the callee; when either side hangs up the other is hung up and the media released.
 */
export function attachRecordingB2bua(
  srf: SrfApp,
  anchor: () => MediaAnchor,
  callee: () => string,
  target: () => CallTarget,
): AnchoredB2bua {
  const out: AnchoredB2bua = { outcomes: [], callIds: [] };
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const app: any = srf;
  app.invite(async (req: any, res: any) => {
    const callId = req.get('Call-ID') as string;
    const tgt = target();
    const anchored = await anchor().anchor({
      callId,
      customerId: tgt.customerId,
      region: tgt.region,
      direction: 'inbound',
      number: tgt.number,
      settings: tgt.settings,
      callerSdp: req.body,
      log,
    });
    if ('unrecorded' in anchored) {
      const { uas, uac } = await app.createB2BUA(req, res, callee(), { localSdpB: req.body });
      out.outcomes.push({ callId, outcome: { status: 'unrecorded', reason: anchored.unrecorded } });
      uas.on('destroy', () => uac.destroy());
      uac.on('destroy', () => uas.destroy());
      return;
    }
    out.callIds.push(callId);
    try {
      const uac = await app.createUAC(callee(), { localSdp: anchored.offerSdp });
      const answer = await anchored.connect(uac.remote.sdp);
      const uas = await app.createUAS(req, res, { localSdp: answer });
      let ended = false;
      const end = async (): Promise<void> => {
        if (ended) return;
        ended = true;
        out.outcomes.push({ callId, outcome: await anchored.release() });
      };
      uas.on('destroy', () => {
        uac.destroy();
        void end();
      });
      uac.on('destroy', () => {
        uas.destroy();
        void end();
      });
    } catch (err) {
      out.outcomes.push({ callId, outcome: await anchored.release() });
      res.send(500);
      throw err;
    }
  });
  return out;
}

/** A sipp callee answering with PCMA and playing a 1 kHz tone after the ACK, until the BYE. */
export async function startToneCallee(t: Test, seconds: number): Promise<SippProcess> {
  const dir = tempDir(t, 'tone');
  const pcap = path.join(dir, 'tone.pcap');
  writeTonePcap(pcap, { seconds, hz: 1000, amplitude: 8000 });
  const xml = path.join(dir, 'uas_tone.xml');
  writeFileSync(
    xml,
    readFileSync(path.join(SIPP_DIR, 'uas_pcap_tone.xml'), 'utf8').replace(
      'play_pcap_audio="TONE_PCAP"',
      `play_pcap_audio="${pcap}"`,
    ),
  );
  const sipp = await startSipp({
    scenario: { file: xml },
    calls: 1,
    timeoutMs: 60_000,
    extraArgs: ['-mi', '127.0.0.1', '-mp', String(await freePort())],
  });
  await sipp.ready();
  t.teardown(() => sipp.stop());
  return sipp;
}

/** A sipp caller playing sip-tester's G.711 A-law speech pcap, hanging up after callMs. */
export async function runSpeechCaller(
  edgeSipPort: number,
  number: string,
  callMs: number,
  opts: { localPort?: number; caller?: string } = {},
): Promise<SippResult> {
  const sipp = await startSipp({
    scenario: { file: path.join(SIPP_DIR, 'uac_pcap_speech.xml') },
    target: { port: edgeSipPort },
    service: number,
    keys: { caller: opts.caller ?? '+14155550123' },
    ...(opts.localPort ? { localPort: opts.localPort } : {}),
    calls: 1,
    callDurationMs: callMs,
    timeoutMs: 60_000,
    extraArgs: ['-mi', '127.0.0.1', '-mp', String(await freePort())],
  });
  return sipp.done;
}

export async function adminCustomer(
  app: App,
  name: string,
  region: Region,
  e164: string,
  recording: RecordingSettings,
) {
  const { call } = await import('./app.js');
  const op = (await app.accounts.createOperatorKey({ kind: 'system', name: 'test' }, 'op')).token;
  const c = await call(app, 'POST', '/v1/customers', op, { name, region });
  if (c.status !== 201) throw new Error(JSON.stringify(c.body));
  const key = (await call(app, 'POST', `/v1/customers/${c.body.id}/api-keys`, op, { name: 'k' })).body
    .key as string;
  const n = await call(app, 'POST', '/v1/numbers', op, {
    e164,
    customerId: c.body.id,
    retention: { policy: '30d' },
    recording,
  });
  if (n.status !== 201) throw new Error(JSON.stringify(n.body));
  return { id: c.body.id as string, key, op, region, e164 };
}
