// Recorded calls in progress, for live control from the API. A call lives on the instance that
// anchored it (its fsmrf endpoints are that process's sockets); any instance may receive the API
// request. Ownership is announced in shared state (rec:call:<callId> → instance, customer), and a
// request for a call owned elsewhere is sent to the owner on its control channel; the owner answers
// on the requester's reply channel.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SharedState } from '../state/index.js';
import { AppError, Errors, isAppError } from '../platform/errors.js';
import { CONTROL_ACTIONS, type ControlAction } from './anchor.types.js';

export interface ControllableCall {
  readonly req: { callId: string; customerId: string };
  control(action: ControlAction): Promise<void>;
}

interface Owner {
  instance: string;
  customerId: string;
}

interface ControlRequest {
  id: string;
  callId: string;
  customerId: string | null;
  action: ControlAction;
  replyTo: string;
}

interface ControlReply {
  id: string;
  error?: { code: string; status: number; message: string };
}

const OWNER_TTL_MS = 12 * 3600_000;
const key = (callId: string) => `rec:call:${callId}`;
const requests = (instance: string) => `recording-control:${instance}`;
const replies = (instance: string) => `recording-control-reply:${instance}`;

export class LiveCalls {
  readonly #local = new Map<string, ControllableCall>();
  readonly #pending = new Map<string, (reply: ControlReply) => void>();
  readonly #unsubscribe: (() => Promise<void>)[] = [];

  constructor(
    private readonly deps: { state: SharedState; instanceId: string; log: Logger; remoteTimeoutMs?: number },
  ) {}

  get size(): number {
    return this.#local.size;
  }

  async start(): Promise<void> {
    const { state, instanceId, log } = this.deps;
    this.#unsubscribe.push(
      await state.subscribe(requests(instanceId), (message) => void this.#onRequest(message)),
      await state.subscribe(replies(instanceId), (message) => {
        try {
          const reply = JSON.parse(message) as ControlReply;
          this.#pending.get(reply.id)?.(reply);
        } catch {
          log.warn('malformed recording control reply ignored');
        }
      }),
    );
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) await u();
  }

  async register(call: ControllableCall): Promise<void> {
    this.#local.set(call.req.callId, call);
    const owner: Owner = { instance: this.deps.instanceId, customerId: call.req.customerId };
    await this.deps.state
      .set(key(call.req.callId), JSON.stringify(owner), OWNER_TTL_MS)
      .catch((err: Error) =>
        this.deps.log.warn(
          { callId: call.req.callId, err: err.message },
          'shared state unavailable: this call is controllable only through this instance',
        ),
      );
  }

  async unregister(call: ControllableCall): Promise<void> {
    if (this.#local.get(call.req.callId) !== call) return;
    this.#local.delete(call.req.callId);
    await this.deps.state.del(key(call.req.callId)).catch(() => undefined);
  }

  /**
   * Applies a control action to a live recorded call wherever it runs. customerId: the caller's
   * customer (another customer's call is "not found"); undefined for operators. Returns the call's
   * customer.
   */
  async control(callId: string, customerId: string | undefined, action: ControlAction): Promise<string> {
    const local = this.#local.get(callId);
    if (local) {
      if (customerId && local.req.customerId !== customerId) throw Errors.notFound('recorded call');
      await local.control(action);
      return local.req.customerId;
    }
    const raw = await this.deps.state.get(key(callId));
    const owner = raw ? (JSON.parse(raw) as Owner) : undefined;
    if (!owner || owner.instance === this.deps.instanceId || (customerId && owner.customerId !== customerId))
      throw Errors.notFound('recorded call');
    const request: ControlRequest = {
      id: randomUUID(),
      callId,
      customerId: customerId ?? null,
      action,
      replyTo: this.deps.instanceId,
    };
    const timeoutMs = this.deps.remoteTimeoutMs ?? 5000;
    const reply = await new Promise<ControlReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(request.id);
        reject(Errors.unavailable(`the instance handling the call did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(request.id, (r) => {
        clearTimeout(timer);
        this.#pending.delete(request.id);
        resolve(r);
      });
      this.deps.state.publish(requests(owner.instance), JSON.stringify(request)).catch((err: Error) => {
        clearTimeout(timer);
        this.#pending.delete(request.id);
        reject(Errors.unavailable(`could not reach the instance handling the call: ${err.message}`));
      });
    });
    if (reply.error) throw new AppError(reply.error.code, reply.error.status, reply.error.message);
    return owner.customerId;
  }

  async #onRequest(message: string): Promise<void> {
    let req: ControlRequest;
    try {
      req = JSON.parse(message) as ControlRequest;
      if (!CONTROL_ACTIONS.includes(req.action)) throw new Error('bad action');
    } catch {
      this.deps.log.warn('malformed recording control request ignored');
      return;
    }
    const reply: ControlReply = { id: req.id };
    try {
      const local = this.#local.get(req.callId);
      if (!local || (req.customerId && local.req.customerId !== req.customerId))
        throw Errors.notFound('recorded call');
      await local.control(req.action);
    } catch (err) {
      reply.error = isAppError(err)
        ? { code: err.code, status: err.status, message: err.message }
        : { code: 'UNAVAILABLE', status: 503, message: 'the media server did not apply the action' };
      if (!isAppError(err))
        this.deps.log.error(
          { callId: req.callId, err: (err as Error).message },
          'remote recording control failed',
        );
    }
    await this.deps.state.publish(replies(req.replyTo), JSON.stringify(reply)).catch(() => undefined);
  }
}
