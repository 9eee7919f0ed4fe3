import type { Outbox } from '../contracts/outbox.js';
import type { Announcement, Sink, SinkInput } from '../contracts/sink.js';
import { orderTopic } from '../core/topics.js';
import { WebhookRelay, type WebhookRelayOptions } from './webhook-relay.js';

export interface WebhookSinkOptions extends Omit<WebhookRelayOptions, 'outbox' | 'sink'> {
  outbox: Outbox;
  /** The MQTT topic prefix: an entry keeps its order's topic, for operators reading the outbox. */
  topicPrefix: string;
}

/** Outbox sink name of a webhook endpoint. */
export function webhookSinkName(url: string): string {
  return `webhook:${url}`;
}

/**
 * One webhook endpoint: every order version, POSTed as its CloudEvent (structured mode), signed
 * after Standard Webhooks, with the CloudEvent id as `webhook-id` / `Idempotency-Key`. An outbox
 * row per order version, written in the group commit's transaction, is the durable queue; the
 * relay delivers it (per order in version order, retries with backoff, dead after its attempts).
 */
export class WebhookSink implements Sink {
  readonly name: string;
  readonly accepts: ReadonlySet<SinkInput> = new Set<SinkInput>(['orders']);
  private readonly relay: WebhookRelay;
  private wrote = false;

  constructor(private readonly options: WebhookSinkOptions) {
    this.name = webhookSinkName(options.url);
    this.relay = new WebhookRelay({ ...options, sink: this.name });
  }

  /** Resumes whatever is pending, including entries that were in flight when the process died. */
  start(): void {
    this.relay.kick();
  }

  write(announcement: Announcement, at: number): void {
    if (announcement.kind !== 'order') return;
    const { order } = announcement.update;
    this.options.outbox.append({
      topic: orderTopic(this.options.topicPrefix, order.tier, order.id),
      payload: announcement.json,
      qos: 1,
      orderingKey: announcement.orderingKey,
      sink: this.name,
      idempotencyKey: announcement.id,
    }, at);
    this.wrote = true;
  }

  committed(): void {
    if (!this.wrote) return;
    this.wrote = false;
    this.relay.kick();
  }

  rolledBack(): void {
    this.wrote = false;
  }

  /** A dead entry may have been revived: the relay notices and reads its backlog again. */
  kick(): void {
    this.relay.kick();
  }

  stop(): void {
    this.relay.stop();
  }

  whenIdle(): Promise<void> {
    return this.relay.whenIdle();
  }
}
