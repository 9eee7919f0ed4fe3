import type { MessageHandler } from '../contracts/bus.js';
import type { EngineCounters } from '../contracts/engine-api.js';
import type { Diagnostics } from '../core/diagnostics.js';
import { inputTopicKind } from '../core/topics.js';

export interface InputRoutes {
  /** The topic prefix (`rw`). */
  prefix: string;
  counters: EngineCounters;
  diag: Diagnostics;
  /**
   * Telemetry, and anything else under the prefix that is neither a status report nor the engine's
   * own: ingest turns it into readings or dead-letters it (`bad_topic` for a topic it cannot use).
   */
  ingest(topic: string, payload: Buffer): void;
  /** `{prefix}/orders/{orderId}/status`. */
  status(topic: string, payload: Buffer): void;
}

/**
 * What the engine does with each message of its input subscription (broker/input-filter.ts),
 * decided by the topic alone (core/topics.ts `inputTopicKind`). Every message ends in exactly one
 * place: ingest (counted as `messages`, then `accepted` or `rejected` with a reason), the status
 * handler, `ignored` (outside the prefix), or nowhere for the engine's own publications coming back
 * — those are not input, and dead-lettering them would make every dead letter breed another.
 */
export function routeInput(routes: InputRoutes): MessageHandler {
  const { prefix, counters, diag, ingest, status } = routes;
  return (topic, payload) => {
    switch (inputTopicKind(topic, prefix)) {
      case 'telemetry':
      case 'unknown':
        ingest(topic, payload);
        return;
      case 'status':
        status(topic, payload);
        return;
      case 'outside':
        counters.ignored++;
        diag.messageIgnored(topic);
        return;
      case 'engine-output':
        return;
    }
  };
}
