import { format } from 'node:util';
import { RiskwatchError, type ErrorFactory } from '../core/errors.js';

// The coded errors of the MQTT side. They belong in the registry in `core/errors.ts`; they live here
// only until that file (owned elsewhere) takes them over, with the same codes.
function defineBrokerError(code: string, template: string, statusCode: number): ErrorFactory {
  const factory = (...args: unknown[]) => new RiskwatchError(code, format(template, ...args), statusCode);
  return Object.assign(factory, { code, statusCode });
}

/** A client published to a topic it may not publish to (engine output, `$SYS/`). */
export const ERR_PUBLISH_DENIED = defineBrokerError('ERR_PUBLISH_DENIED', 'client %s may not publish to %s (%s)', 403);
/** subscribe()/publish() before open() or after close(). */
export const ERR_BUS_NOT_OPEN = defineBrokerError('ERR_BUS_NOT_OPEN', 'the %s message bus is not open', 503);
/** close() ended the connection before the broker acknowledged a publish. */
export const ERR_BUS_CLOSED = defineBrokerError('ERR_BUS_CLOSED', 'the %s message bus closed before the broker took a message for %s', 503);
/** A topic name or filter that MQTT does not allow (wildcards in a publish topic, `#` not last, ...). */
export const ERR_BUS_TOPIC_INVALID = defineBrokerError('ERR_BUS_TOPIC_INVALID', 'invalid MQTT %s %j', 400);
/** The embedded broker could not listen (port in use, permission). */
export const ERR_BROKER_LISTEN = defineBrokerError('ERR_BROKER_LISTEN', 'embedded MQTT broker cannot listen on %s:%d: %s', 500);
/** The external broker was not reachable in time, or refused the connection (CONNACK return code). */
export const ERR_BUS_CONNECT = defineBrokerError('ERR_BUS_CONNECT', 'cannot connect to MQTT broker %s: %s', 503);
/** The broker answered SUBACK with failure (0x80 / reason code >= 0x80). */
export const ERR_SUBSCRIBE_REFUSED = defineBrokerError('ERR_SUBSCRIBE_REFUSED', 'MQTT broker refused the subscription to %s (code %d)', 403);
