import { format } from 'node:util';

/**
 * Every error the engine reports on purpose carries a stable `code`. Logs, counters and tests match
 * `err.code`, never the message text; the API maps `statusCode`. (Pattern: fastify `lib/errors.js`.)
 */
export class RiskwatchError extends Error {
  readonly code: string;
  readonly statusCode: number;
  details?: Record<string, unknown>;

  constructor(code: string, message: string, statusCode: number, details?: Record<string, unknown>) {
    super(message);
    this.name = 'RiskwatchError';
    this.code = code;
    this.statusCode = statusCode;
    if (details) this.details = details;
  }
}

export interface ErrorFactory {
  (...args: unknown[]): RiskwatchError;
  readonly code: string;
  readonly statusCode: number;
}

function defineError(code: string, template: string, statusCode = 500): ErrorFactory {
  const factory = (...args: unknown[]) => new RiskwatchError(code, format(template, ...args), statusCode);
  return Object.assign(factory, { code, statusCode });
}

/**
 * Attaches structured details (file, line, field, ...) to a coded error and returns it. It adds to
 * the error in place: building a second Error (and its stack) would halve the rate at which a
 * flood of bad messages can be rejected.
 */
export function withDetails(err: RiskwatchError, details: Record<string, unknown>): RiskwatchError {
  err.details = err.details ? { ...err.details, ...details } : details;
  return err;
}

// --- ingest: each one is also a dead-letter reason -------------------------------------------
export const ERR_TOPIC_INVALID = defineError('ERR_TOPIC_INVALID', 'topic %s is not a telemetry topic', 400);
export const ERR_PAYLOAD_TOO_LARGE = defineError('ERR_PAYLOAD_TOO_LARGE', 'payload of %d bytes exceeds the limit of %d bytes', 413);
export const ERR_PAYLOAD_MALFORMED = defineError('ERR_PAYLOAD_MALFORMED', 'payload is not valid JSON: %s', 400);
export const ERR_PAYLOAD_SCHEMA = defineError('ERR_PAYLOAD_SCHEMA', 'payload violates the %s schema: %s', 400);
export const ERR_DEVICE_UNKNOWN = defineError('ERR_DEVICE_UNKNOWN', 'device %s is not in the registry', 404);
export const ERR_CLOCK_SKEW = defineError('ERR_CLOCK_SKEW', 'reading time %s is %d ms away from the engine clock (bound %d ms)', 400);

// --- configuration, scenarios, registry ------------------------------------------------------
export const ERR_CONFIG_INVALID = defineError('ERR_CONFIG_INVALID', 'configuration: %s', 400);
export const ERR_SCENARIO_INVALID = defineError('ERR_SCENARIO_INVALID', 'scenario %s: %s', 400);
export const ERR_REGISTRY_INVALID = defineError('ERR_REGISTRY_INVALID', 'registry %s: %s', 400);

// --- API and orders --------------------------------------------------------------------------
export const ERR_VALIDATION = defineError('ERR_VALIDATION', 'request invalid: %s', 400);
export const ERR_NOT_FOUND = defineError('ERR_NOT_FOUND', '%s %s not found', 404);
export const ERR_ORDER_TRANSITION = defineError('ERR_ORDER_TRANSITION', 'order %s cannot go from %s to %s', 409);

// --- runtime -------------------------------------------------------------------------------
export const ERR_PIPELINE_STAGE = defineError('ERR_PIPELINE_STAGE', 'pipeline stage %s failed: %s', 500);
export const ERR_EXPRESSION_EVAL = defineError('ERR_EXPRESSION_EVAL', 'expression %s failed: %s', 500);

export function isRiskwatchError(err: unknown): err is RiskwatchError {
  return err instanceof RiskwatchError;
}
