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
/** A command line the CLI cannot read (unknown flag, missing value or argument): exit code 2, as usage errors conventionally are. */
export const ERR_CLI_USAGE = defineError('ERR_CLI_USAGE', '%s: %s (see %s --help)', 400);
export const ERR_SCENARIO_INVALID = defineError('ERR_SCENARIO_INVALID', 'scenario %s: %s', 400);
export const ERR_REGISTRY_INVALID = defineError('ERR_REGISTRY_INVALID', 'registry %s: %s', 400);
/** A dispatch policy file that does not validate; the running policy stays in force. */
export const ERR_POLICY_INVALID = defineError('ERR_POLICY_INVALID', 'dispatch policy %s: %s', 400);
/** The device catalogue (`catalogue/device-types.yaml`) does not validate: nothing can start without it. */
export const ERR_CATALOGUE_INVALID = defineError('ERR_CATALOGUE_INVALID', 'device catalogue %s: %s', 400);

// --- API and orders --------------------------------------------------------------------------
export const ERR_VALIDATION = defineError('ERR_VALIDATION', 'request invalid: %s', 400);
export const ERR_NOT_FOUND = defineError('ERR_NOT_FOUND', '%s %s not found', 404);
export const ERR_ORDER_TRANSITION = defineError('ERR_ORDER_TRANSITION', 'order %s cannot go from %s to %s', 409);


// --- MQTT side (broker and buses) ----------------------------------------------------------
/** A client published to a topic it may not publish to (engine output, `$SYS/`). */
export const ERR_PUBLISH_DENIED = defineError('ERR_PUBLISH_DENIED', 'client %s may not publish to %s (%s)', 403);
/** subscribe()/publish() before open() or after close(). */
export const ERR_BUS_NOT_OPEN = defineError('ERR_BUS_NOT_OPEN', 'the %s message bus is not open', 503);
/** close() ended the connection before the broker acknowledged a publish. */
export const ERR_BUS_CLOSED = defineError('ERR_BUS_CLOSED', 'the %s message bus closed before the broker took a message for %s', 503);
/** A topic name or filter that MQTT does not allow (wildcards in a publish topic, `#` not last, ...). */
export const ERR_BUS_TOPIC_INVALID = defineError('ERR_BUS_TOPIC_INVALID', 'invalid MQTT %s %j', 400);
/** The embedded broker could not listen (port in use, permission). */
export const ERR_BROKER_LISTEN = defineError('ERR_BROKER_LISTEN', 'embedded MQTT broker cannot listen on %s:%d: %s', 500);
/** The external broker was not reachable in time, or refused the connection (CONNACK return code). */
export const ERR_BUS_CONNECT = defineError('ERR_BUS_CONNECT', 'cannot connect to MQTT broker %s: %s', 503);
/** The broker answered SUBACK with failure (0x80 / reason code >= 0x80). */
export const ERR_SUBSCRIBE_REFUSED = defineError('ERR_SUBSCRIBE_REFUSED', 'MQTT broker refused the subscription to %s (code %d)', 403);

// --- webhooks: why a delivery attempt failed (kept as the outbox entry's last error) ----------
/** The receiver answered, but not with 2xx (redirects included: the URL should be updated instead). */
export const ERR_WEBHOOK_STATUS = defineError('ERR_WEBHOOK_STATUS', 'webhook receiver answered HTTP %d', 502);
/** No answer within `webhook.timeout`. */
export const ERR_WEBHOOK_TIMEOUT = defineError('ERR_WEBHOOK_TIMEOUT', 'webhook receiver did not answer within %d ms', 504);
/** Connection refused or reset, DNS failure, TLS error, ... */
export const ERR_WEBHOOK_UNREACHABLE = defineError('ERR_WEBHOOK_UNREACHABLE', 'webhook receiver unreachable: %s', 503);

// --- runtime -------------------------------------------------------------------------------
export const ERR_PIPELINE_STAGE = defineError('ERR_PIPELINE_STAGE', 'pipeline stage %s failed: %s', 500);
export const ERR_EXPRESSION_EVAL = defineError('ERR_EXPRESSION_EVAL', 'expression %s failed: %s', 500);

export function isRiskwatchError(err: unknown): err is RiskwatchError {
  return err instanceof RiskwatchError;
}
