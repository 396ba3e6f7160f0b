// Which customer a request acts for. Operator keys name the customer; customer keys act for their
// own customer only, and naming another one answers 404 (as if it did not exist) rather than 403.
import type { FastifyRequest } from 'fastify';
import { Errors } from '../platform/errors.js';
import type { KeyPrincipal } from './types.js';

export function principalOf(req: FastifyRequest): KeyPrincipal {
  if (!req.principal) throw Errors.unauthenticated();
  return req.principal;
}

export function customerScope(req: FastifyRequest, requested: string | undefined): string {
  const p = principalOf(req);
  if (p.kind === 'operator') {
    if (!requested) throw Errors.validation('customerId is required with an operator key');
    return requested;
  }
  if (requested && requested !== p.customerId) throw Errors.notFound('customer');
  return p.customerId;
}

/** For reads of a single resource: operators see everything, customers only their own. */
export function ownerFilter(req: FastifyRequest): string | undefined {
  const p = principalOf(req);
  return p.kind === 'operator' ? undefined : p.customerId;
}

export function requireOperator(req: FastifyRequest): void {
  if (principalOf(req).kind !== 'operator') throw Errors.forbidden('this needs an operator key');
}
