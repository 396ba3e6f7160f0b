// Recordings that could not be stored when their call ended (region database or object store down):
// the audio stays on the media server's tmpfs, and a small job (metadata only, never audio) is spooled
// on this daemon's disk and retried until the recording is stored and the server's copy deleted. A
// job survives a restart of the daemon; its file survives as long as the media server is not
// restarted (the window an outage must stay within; see docs/recording.md).
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MediaServerConfig } from '../config/index.js';
import { counter, gauge } from '../platform/metrics.js';
import { RecordingGone, type RecordingStore, type StoreRequest } from './recording-store.js';

interface Job {
  server: string;
  file: string;
  req: Omit<StoreRequest, 'startedAt'> & { startedAt: string };
  spooledAt: string;
}

export class RecordingSpool {
  readonly #timer: NodeJS.Timeout;
  #running = false;
  readonly #pending;
  readonly #lost;

  constructor(
    private readonly deps: {
      dir: string;
      store: RecordingStore;
      servers: MediaServerConfig[];
      intervalMs: number;
      log: Logger;
      metrics: Registry;
    },
  ) {
    mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
    this.#pending = gauge(
      deps.metrics,
      'recording_store_pending',
      'recordings waiting on the media server to be stored (their store failed; retried)',
    );
    this.#lost = counter(
      deps.metrics,
      'recording_store_lost_total',
      'queued recordings whose audio was gone from the media server when retried',
    );
    this.#pending.set(this.#jobs().length);
    this.#timer = setInterval(() => void this.replay(), deps.intervalMs);
    this.#timer.unref();
  }

  #jobs(): string[] {
    return readdirSync(this.deps.dir).filter((f) => f.endsWith('.json'));
  }

  /** Spools a job for a recording whose store failed (throws when the spool itself cannot be written). */
  add(server: string, file: string, req: StoreRequest): void {
    const job: Job = {
      server,
      file,
      req: { ...req, startedAt: req.startedAt.toISOString() },
      spooledAt: new Date().toISOString(),
    };
    const target = path.join(this.deps.dir, `${req.id}.json`);
    writeFileSync(`${target}.tmp`, JSON.stringify(job), { mode: 0o600 });
    renameSync(`${target}.tmp`, target);
    this.#pending.set(this.#jobs().length);
  }

  get size(): number {
    return this.#jobs().length;
  }

  /** One pass over the spooled jobs; each stored one is removed with its media-server copy. */
  async replay(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (const name of this.#jobs()) {
        const jobFile = path.join(this.deps.dir, name);
        let job: Job;
        try {
          job = JSON.parse(readFileSync(jobFile, 'utf8')) as Job;
        } catch {
          continue; // being written, or damaged: an operator sees it in the directory
        }
        const server = this.deps.servers.find((s) => s.name === job.server);
        if (!server) {
          this.deps.log.error(
            { recordingId: job.req.id, server: job.server },
            'spooled recording names an unknown media server',
          );
          continue;
        }
        const file = { filesUrl: server.filesUrl, token: server.filesToken.reveal(), name: job.file };
        try {
          await this.deps.store.store(file, { ...job.req, startedAt: new Date(job.req.startedAt) });
        } catch (err) {
          if (err instanceof RecordingGone) {
            // Nothing left to store (the media server restarted): the job ends, loudly.
            this.deps.log.error(
              { recordingId: job.req.id, callId: job.req.callId, server: job.server },
              'spooled recording lost: the media server no longer has it',
            );
            this.#lost.inc();
            unlinkSync(jobFile);
            continue;
          }
          this.deps.log.warn(
            { recordingId: job.req.id, err: (err as Error).message },
            'spooled recording still not stored',
          );
          continue;
        }
        await this.deps.store
          .deleteSource(file)
          .catch((err: Error) =>
            this.deps.log.error(
              { recordingId: job.req.id, err: err.message },
              'media-server copy not deleted',
            ),
          );
        unlinkSync(jobFile);
        this.deps.log.info({ recordingId: job.req.id, callId: job.req.callId }, 'spooled recording stored');
      }
    } finally {
      this.#pending.set(this.#jobs().length);
      this.#running = false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
