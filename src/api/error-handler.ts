import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERR_NOT_FOUND, isRiskwatchError } from '../core/errors.js';

/** The body of every error response. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Maps errors to `{ code, message, details? }`:
 * - a RiskwatchError → its own statusCode and code (ERR_NOT_FOUND 404, ERR_ORDER_TRANSITION 409, ...);
 * - a request fastify rejected (schema validation, malformed JSON, wrong content type, too large)
 *   → its 4xx status with ERR_VALIDATION;
 * - anything else → 500 ERR_INTERNAL with a fixed message: internals stay in the log.
 */
export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (isRiskwatchError(err)) {
    const body: ErrorBody = { code: err.code, message: err.message };
    if (err.details) body.details = err.details;
    if (err.statusCode >= 500) request.log.error({ err }, 'request failed');
    void reply.code(err.statusCode).send(body);
    return;
  }
  const statusCode = (err as FastifyError).statusCode;
  if ((err as FastifyError).validation || (statusCode !== undefined && statusCode >= 400 && statusCode < 500)) {
    void reply.code(statusCode ?? 400).send({ code: 'ERR_VALIDATION', message: err.message } satisfies ErrorBody);
    return;
  }
  request.log.error({ err }, 'request failed');
  void reply.code(500).send({ code: 'ERR_INTERNAL', message: 'internal error' } satisfies ErrorBody);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  // The path only: a querystring is the caller's business, not part of the message.
  const path = request.url.split('?', 1)[0];
  const err = ERR_NOT_FOUND('route', `${request.method} ${path}`);
  void reply.code(404).send({ code: err.code, message: err.message } satisfies ErrorBody);
}
