import type { MessageBus } from '../contracts/bus.js';
import type { EngineCounters } from '../contracts/engine-api.js';
import type { RawMessage } from '../contracts/reading.js';
import type { Diagnostics } from '../core/diagnostics.js';
import { isRiskwatchError, type RiskwatchError } from '../core/errors.js';
import { deadLetterTopic } from '../core/topics.js';
import type { DeadLetter, DeadLetterStore } from '../ingest/dead-letters.js';

export interface RejectionsOptions {
  deadLetters: DeadLetterStore;
  counters: EngineCounters;
  diag: Diagnostics;
  topicPrefix: string;
  /** Where dead letters are published (`{prefix}/deadletter/{reason}`, QoS 0), when `deadLetters.publish` is on. */
  bus(): MessageBus | undefined;
  onDeadLetter(entry: DeadLetter): void;
}

/**
 * Input the engine refuses: a message that cannot become readings is counted, kept in the
 * dead-letter ring (API), logged at debug by its code and published for installers; a status
 * report that cannot be applied is counted and logged by its code. Neither stops anything.
 */
export class Rejections {
  constructor(private readonly options: RejectionsOptions) {}

  reading(raw: RawMessage, err: RiskwatchError): void {
    const { deadLetters, counters, diag, topicPrefix } = this.options;
    counters.rejected++;
    const entry = deadLetters.add(raw, err);
    diag.readingRejected(err.code, raw.topic, err.message);
    const bus = this.options.bus();
    if (bus) {
      bus.publish(deadLetterTopic(topicPrefix, entry.reason), JSON.stringify(entry), { qos: 0 }).catch(() => {
        counters.publishFailures++;
      });
    }
    this.options.onDeadLetter(entry);
  }

  status(orderId: string, err: unknown): void {
    this.options.counters.statusUpdatesRejected++;
    this.options.diag.statusUpdateRejected(orderId, isRiskwatchError(err) ? err.code : 'ERR_INTERNAL');
  }
}
