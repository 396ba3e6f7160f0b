// Key rings for operators: versions, rotation, and the re-wrap that moves every data key to the
// current version. The re-wrap runs in the background on the instance that got the call, under a
// shared lock (one at a time across instances); its last report is kept in shared state.
import { Type } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { SharedState } from '../state/index.js';
import type { Db } from '../store/db.js';
import type { KeyProvider } from '../crypto/index.js';
import { actorName } from '../accounts/actor.js';
import { auditControl } from '../accounts/audit.repo.js';
import { principalOf } from '../api/scope.js';
import { errorResponses } from '../api/schemas.js';
import type { ApiModule } from '../api/types.js';
import { rewrapAll, type RewrapDeps, type RewrapReport } from './rewrap.job.js';

const LOCK = 'keys:rewrap';
const LAST = 'keys:rewrap:last';
const Ring = Type.Object({ ring: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

export interface KeyRingDeps extends RewrapDeps {
  keys: KeyProvider;
  state: SharedState;
  control: Db;
  instanceId: string;
  log: Logger;
}

export class RewrapRunner {
  #running: Promise<void> | undefined;
  constructor(private readonly deps: KeyRingDeps) {}

  /** Starts a re-wrap unless one runs anywhere; false when one does. */
  async start(): Promise<boolean> {
    const { state, instanceId, log } = this.deps;
    if (!(await state.tryLock(LOCK, instanceId, 3_600_000))) return false;
    this.#running = rewrapAll(this.deps)
      .then((r: RewrapReport) =>
        state.set(LAST, JSON.stringify({ ...r, finishedAt: new Date().toISOString() }), 30 * 86_400_000),
      )
      .catch((err) => log.error({ err }, 'key re-wrap failed; run it again'))
      .finally(() => state.unlock(LOCK, instanceId).catch(() => undefined));
    return true;
  }

  async wait(): Promise<void> {
    await this.#running;
  }
}

export function keyRingsRoutes(deps: KeyRingDeps, runner: RewrapRunner): ApiModule {
  return {
    name: 'key-rings',
    register(app) {
      const operator = { auth: 'operator' as const };
      app.get(
        '/v1/key-rings/:ring',
        {
          config: operator,
          schema: {
            tags: ['keys'],
            params: Ring,
            response: {
              200: Type.Object({
                ring: Type.String(),
                provider: Type.String(),
                versions: Type.Array(Type.String()),
                current: Type.Union([Type.String(), Type.Null()]),
                lastRewrap: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
              }),
              ...errorResponses,
            },
          },
        },
        async (req) => {
          const versions = await deps.keys.versions(req.params.ring);
          const last = await deps.state.get(LAST);
          return {
            ring: req.params.ring,
            provider: deps.keys.name,
            versions,
            current: versions.at(-1) ?? null,
            lastRewrap: last ? (JSON.parse(last) as Record<string, unknown>) : null,
          };
        },
      );

      app.post(
        '/v1/key-rings/:ring/rotate',
        {
          config: operator,
          schema: {
            tags: ['keys'],
            params: Ring,
            body: Type.Object(
              {
                rewrap: Type.Boolean({
                  default: true,
                  description: 'start re-wrapping every data key at once',
                }),
              },
              { additionalProperties: false },
            ),
            response: {
              202: Type.Object({ ring: Type.String(), version: Type.String(), rewrap: Type.String() }),
              ...errorResponses,
            },
          },
        },
        async (req, reply) => {
          const version = await deps.keys.rotate(req.params.ring);
          await auditControl(deps.control, {
            actor: actorName(principalOf(req)),
            action: 'key-ring.rotate',
            resource: 'key-ring',
            resourceId: req.params.ring,
            details: { version },
          });
          const rewrap = req.body.rewrap
            ? (await runner.start())
              ? 'started'
              : 'already-running'
            : 'not-requested';
          return reply.status(202).send({ ring: req.params.ring, version, rewrap });
        },
      );
    },
  };
}
