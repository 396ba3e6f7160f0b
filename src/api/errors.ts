// One error handler turns anything thrown in a route into a response: an AppError or a client error
// from fastify (bad JSON, validation, body too large) with its precise message; anything else is a
// bug, logged with its stack and answered 500 with only a reference id.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../platform/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; reference?: string };
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (isAppError(err)) {
    if (err.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: err.code, status: err.status }, 'request refused');
    const body: ErrorBody = {
      error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
    };
    void reply.status(err.status).send(body);
    return;
  }
  if (err.validation) {
    const message = `${err.validationContext ?? 'request'}${err.message.startsWith('/') ? '' : ' '}${err.message.replace(/^(body|querystring|params|headers)\/?/, '')}`;
    req.log.info({ code: 'VALIDATION_FAILED', message }, 'request refused');
    void reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message } } satisfies ErrorBody);
    return;
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    req.log.info({ code: err.code, status }, 'request refused');
    void reply
      .status(status)
      .send({ error: { code: clientCode(err), message: err.message } } satisfies ErrorBody);
    return;
  }
  req.log.error({ err }, 'unexpected error handling request');
  void reply.status(500).send({
    error: {
      code: 'INTERNAL',
      message: 'internal error; quote the reference to support',
      reference: String(req.id),
    },
  } satisfies ErrorBody);
}

function clientCode(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'INVALID_JSON';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'BODY_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    default:
      return 'BAD_REQUEST';
  }
}
