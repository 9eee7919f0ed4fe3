import type { MessageBus } from '../contracts/bus.js';
import type { Scheduler } from '../contracts/clock.js';
import type { Outbox, OutboxMessage } from '../contracts/outbox.js';
import type { Announcement, Sink, SinkInput } from '../contracts/sink.js';
import { alertTopic, orderOverdueTopic, orderTopic } from '../core/topics.js';
import { OutboxRelay, type RelayEntry } from './mqtt-relay.js';

export interface MqttSinkOptions {
  outbox: Outbox;
  bus: Pick<MessageBus, 'publish'>;
  scheduler: Scheduler;
  topicPrefix: string;
  /** Delivered outbox entries are kept this long for inspection, then deleted. */
  retainDeliveredMs: number;
  onPublishFailed?(topic: string, err: Error): void;
}

/**
 * The public MQTT topics (ARCHITECTURE "Public contract"), QoS 1:
 *
 *   {prefix}/alerts/{level}/{scenarioId}  every alert change (a cleared alert under the level it had)
 *   {prefix}/orders/{tier}/{orderId}      every order version
 *   {prefix}/orders/{orderId}/overdue     the same order version again when it warns of or misses a
 *                                         deadline, so supervisors (督办) follow misses alone
 *
 * Each message is an outbox row written in the group commit's transaction; the relay publishes
 * them once committed — per alert and per order in commit order, urgent ones ahead of routine ones
 * of other keys (see OutboxRelay) — and a restart republishes what the broker never took.
 */
export class MqttSink implements Sink {
  readonly name = 'mqtt';
  readonly accepts: ReadonlySet<SinkInput> = new Set<SinkInput>(['alerts', 'orders']);
  private readonly relay: OutboxRelay;
  /** Rows written in the open transaction, handed to the relay once it commits. */
  private written: RelayEntry[] = [];
  /** Delivered marks riding in the open transaction: kept again should it roll back. */
  private marks: readonly number[] = [];

  constructor(private readonly options: MqttSinkOptions) {
    this.relay = new OutboxRelay({
      outbox: options.outbox,
      scheduler: options.scheduler,
      publish: (topic, payload, qos, retain) => options.bus.publish(topic, payload, { qos, retain }),
      retainDeliveredMs: options.retainDeliveredMs,
      ...(options.onPublishFailed ? { onPublishFailed: options.onPublishFailed } : {}),
    });
  }

  /** Republishes whatever a previous run committed but the broker never took. */
  start(): void {
    this.relay.kick();
  }

  /** The relay's delivered marks ride along in the commit's transaction: one WAL commit per order, not two. */
  begin(): void {
    this.marks = this.relay.writeMarks();
  }

  write(announcement: Announcement, at: number): void {
    for (const message of mqttMessages(this.options.topicPrefix, announcement)) {
      const id = this.options.outbox.append(message, at);
      this.written.push({ id, topic: message.topic, payload: message.payload, qos: message.qos, retain: false, key: announcement.orderingKey, urgent: announcement.urgent });
    }
  }

  committed(): void {
    const entries = this.written;
    this.written = [];
    this.marks = [];
    this.relay.committed(entries);
  }

  rolledBack(): void {
    this.written = [];
    this.relay.marksRolledBack(this.marks);
    this.marks = [];
  }

  kick(): void {
    this.relay.kick();
  }

  stop(): void {
    this.relay.stop();
  }

  whenIdle(): Promise<void> {
    return this.relay.whenIdle();
  }

  /** Messages published so far (for the benchmarks and tests). */
  get delivered(): number {
    return this.relay.delivered;
  }
}

/** The MQTT messages of one announcement: its topic, and for a deadline step the overdue topic too. */
export function mqttMessages(prefix: string, announcement: Announcement): OutboxMessage[] {
  const { json: payload, orderingKey } = announcement;
  if (announcement.kind === 'alert') {
    const { event } = announcement;
    const level = event.type === 'cleared' ? (event.from ?? event.alert.level) : event.alert.level;
    return [{ topic: alertTopic(prefix, level, event.alert.scenarioId), payload, qos: 1, orderingKey }];
  }
  const { order, change } = announcement.update;
  const messages: OutboxMessage[] = [{ topic: orderTopic(prefix, order.tier, order.id), payload, qos: 1, orderingKey }];
  if (change === 'overdue' || change === 'deadline_warning') messages.push({ topic: orderOverdueTopic(prefix, order.id), payload, qos: 1, orderingKey });
  return messages;
}
