import type { MessageBus } from '../contracts/bus.js';

/**
 * The engine's one input subscription: telemetry, status reports, and every mistake under the
 * prefix (`rw/telemetry/a/b`, `rw/foo`), which a `{prefix}/telemetry/+` subscription would never
 * have delivered — such messages vanished without a count or a dead letter.
 *
 * - Embedded broker: `#`. The broker is the engine's own and the subscription is in process, so
 *   seeing everything costs a function call per message, and a device publishing under the wrong
 *   prefix (`riskwatch/telemetry/…`) is counted as ignored instead of vanishing. `$SYS/…` stays
 *   out [MQTT-4.7.2-1].
 * - External broker: `{prefix}/#` only. A shared broker carries other applications' traffic; pulling
 *   all of it over the network to count it would cost more than it tells.
 *
 * One filter rather than one per kind: overlapping subscriptions may be delivered once per match
 * (external-bus.ts). The engine's own publications under the prefix come back through it and are
 * recognised by topic (`inputTopicKind`: `engine-output`), never taken as input; on MQTT 5 the
 * external bus asks the broker not to send them at all (`noLocal`).
 */
export function inputFilter(kind: MessageBus['kind'], prefix: string): string {
  return kind === 'embedded' ? '#' : `${prefix}/#`;
}
