// The edge as its own process (`node dist/edge/main.js`, built by `make build`), for tests and
// benchmarks that need it apart from the test process. Ports are 0; the bound ones are read
// from its "edge listening" log line.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const EDGE_MAIN = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'edge',
  'main.js',
);

export interface EdgeStatsLine {
  transactions: number;
  dialogs: number;
  apps: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

export interface EdgeProcess {
  /** The "edge stats" lines logged so far (EDGE_STATS_INTERVAL_S sets how often). */
  readonly statsLines: EdgeStatsLine[];
  readonly child: ChildProcess;
  readonly pid: number;
  readonly sipPort: number;
  readonly appPort: number;
  readonly secret: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export function startEdgeProcess(
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<EdgeProcess> {
  const secret = `secret-${Math.random().toString(36).slice(2)}`;
  const child = spawn(process.execPath, [...nodeArgs, EDGE_MAIN], {
    env: {
      ...process.env,
      EDGE_SIP_PORT: '0',
      EDGE_APP_PORT: '0',
      EDGE_SECRET: secret,
      EDGE_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the edge process did not start within 15 s')), 15_000);
    let buffer = '';
    const statsLines: EdgeStatsLine[] = [];
    child.once('exit', (code) => reject(new Error(`the edge process exited with ${code} before listening`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let entry: { msg?: string; sipPort?: number; appPort?: number };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if (entry.msg === 'edge stats') statsLines.push(entry as unknown as EdgeStatsLine);
        if (entry.msg === 'edge listening' && entry.sipPort && entry.appPort) {
          clearTimeout(timer);
          const { sipPort, appPort } = entry;
          resolve({
            statsLines,
            child,
            pid: child.pid ?? -1,
            sipPort,
            appPort,
            secret,
            async stop() {
              if (child.exitCode === null) child.kill('SIGTERM');
              return exited;
            },
          });
        }
      }
    });
  });
}
