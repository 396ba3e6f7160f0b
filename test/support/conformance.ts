// Replays one flow of test/fixtures/drachtio-wire/ against an edge: the recorded sipp peers,
// the ported harness app behind a frame recorder, then the recorded frames compared with the
// transcript (drachtio-transcript.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareTranscripts, parseTranscript, type Frame } from './drachtio-transcript.js';
import { runHarnessApp, type HarnessFlow, type HarnessResult } from './drachtio-harness.js';
import { startTestEdge } from './edge.js';
import { startFrameRecorder } from './frame-recorder.js';
import { freePort } from './ports.js';
import { startSipp, type SippOptions, type SippResult } from './sipp.js';
import { waitFor } from './wait.js';

export const WIRE_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'drachtio-wire',
);
const SCENARIOS = path.join(WIRE_DIR, 'harness', 'sipp');

export function scenario(name: string): { file: string } {
  return { file: path.join(SCENARIOS, name) };
}

type Peer = Omit<SippOptions, 'localPort' | 'target'>;

export interface FlowSpec {
  readonly transcript: string;
  readonly flow: HarnessFlow;
  readonly uas1?: Peer;
  readonly uas2?: Peer;
  readonly uac?: Peer;
}

export interface FlowOutcome {
  readonly diffs: string[];
  readonly frames: Frame[];
  readonly app: HarnessResult;
  readonly uac: SippResult | undefined;
  readonly uas: SippResult[];
}

/** Whether every authenticate/route the app sent has been answered (the app is ready for calls). */
function routed(frames: readonly Frame[]): boolean {
  const asked = frames.filter(
    (f) => f.direction === 'app->server' && /^[^|]*\|(authenticate|route)\|/.test(f.payload),
  );
  const answered = frames.filter((f) => f.direction === 'server->app' && f.payload.includes('|response|'));
  return asked.length > 0 && answered.length >= asked.length;
}

export async function replayFlow(spec: FlowSpec): Promise<FlowOutcome> {
  const edge = await startTestEdge({ app: { host: '127.0.0.1', port: 0, secret: 'cymru' } });
  const recorder = await startFrameRecorder({ port: edge.appPort });
  const ports = { uas1: await freePort(), uas2: await freePort() };
  const uasRuns = [];
  try {
    for (const [name, peer] of [
      ['uas1', spec.uas1],
      ['uas2', spec.uas2],
    ] as const) {
      if (!peer) continue;
      const sipp = await startSipp({ calls: 1, timeoutMs: 25_000, ...peer, localPort: ports[name] });
      await sipp.ready();
      uasRuns.push(sipp);
    }
    const app = runHarnessApp({
      flow: spec.flow,
      port: recorder.port,
      secret: 'cymru',
      uas1: `sip:service@127.0.0.1:${ports.uas1}`,
      uas2: `sip:service@127.0.0.1:${ports.uas2}`,
    });
    await waitFor(() => routed(recorder.frames), { message: 'the app authenticated and routed' });
    const uac = spec.uac
      ? await startSipp({
          calls: 1,
          timeoutMs: 20_000,
          service: 'service',
          ...spec.uac,
          target: { port: edge.sipPort },
        })
      : undefined;
    const appResult = await app;
    const uacResult = await uac?.done;
    const uasResults = await Promise.all(uasRuns.map((s) => s.done));
    await waitFor(() => edge.stats().apps === 0, { message: 'the app disconnected' });
    const expected = parseTranscript(readFileSync(path.join(WIRE_DIR, spec.transcript), 'latin1'));
    return {
      diffs: compareTranscripts(expected, recorder.frames),
      frames: recorder.frames,
      app: appResult,
      uac: uacResult,
      uas: uasResults,
    };
  } finally {
    await Promise.all(uasRuns.map((s) => s.stop()));
    await recorder.close();
    await edge.close();
  }
}
