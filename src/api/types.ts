// Fastify typed with TypeBox, the auth level each route declares, and the principal a request carries.
import type {
  FastifyInstance,
  FastifyBaseLogger,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Principal } from '../accounts/actor.js';

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression<RawServerDefault>,
  RawReplyDefaultExpression<RawServerDefault>,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** public: no key; any: an operator or a customer key; operator: operator keys only. */
export type AuthLevel = 'public' | 'any' | 'operator';

export type KeyPrincipal = Exclude<Principal, { kind: 'system' }>;

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthLevel;
  }
  interface FastifyRequest {
    principal?: KeyPrincipal;
  }
}

/** A group of routes; main.ts decides which groups an instance serves. */
export interface ApiModule {
  name: string;
  register(app: Api): void | Promise<void>;
}
