import { CloudEvent, ValidationError } from 'cloudevents';
import { EVENT_SOURCE } from '../contracts/cloud-event.js';
import { ORDER_SCHEMA_ID } from '../contracts/order.js';

export { CloudEvent } from 'cloudevents';

export { EVENT_SOURCE } from '../contracts/cloud-event.js';

/**
 * The published JSON Schema of `data`, by CloudEvent type prefix: consumers find the contract in
 * the event itself. The value is the schema's `$id` (a URN, like the scenario and registry
 * schemas'): `dataschema` must be an absolute URI, and a URN promises no web address we would have
 * to keep serving. The documents ship in the package, `schemas/order.schema.json` for orders.
 */
const DATA_SCHEMAS: readonly (readonly [typePrefix: string, schemaId: string])[] = [
  ['riskwatch.order.', ORDER_SCHEMA_ID],
];

/**
 * A CloudEvents 1.0 event (the `cloudevents` package, spec
 * https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md); `JSON.stringify` of the
 * result is the structured-mode JSON the sinks publish. `id` is unique per announced state, so a
 * consumer can drop a redelivered copy (QoS 1 and webhooks are at-least-once).
 *
 * Built with the package's strict validation, on the hot path of every alert and order. Measured on
 * this machine (Node 20.20, a 2.2 KB order with every field, best of 5 rounds of 300 000): the
 * constructor costs 2.3 µs validating and 1.2 µs not; constructor plus `JSON.stringify` 10.6 µs
 * against 9.2 µs (a hand-built object: 7.4 µs). About 1.3 µs of validation per event, against a
 * ~1.2 ms publish → order path, is not worth an envelope nobody checked: it stays on.
 */
export function cloudEvent<T>(type: string, id: string, subject: string, at: number, data: T): CloudEvent<T> {
  // The package would put a random UUID in place of an empty id: a copy redelivered after a restart
  // would then look new to every consumer.
  if (id === '') throw new ValidationError('a CloudEvent id must not be empty');
  const dataschema = dataSchemaOf(type);
  return new CloudEvent<T>({
    specversion: '1.0',
    id,
    source: EVENT_SOURCE,
    type,
    subject,
    time: new Date(at).toISOString(),
    datacontenttype: 'application/json',
    ...(dataschema === undefined ? {} : { dataschema }),
    data,
  });
}

function dataSchemaOf(type: string): string | undefined {
  for (const [prefix, schemaId] of DATA_SCHEMAS) if (type.startsWith(prefix)) return schemaId;
  return undefined;
}
