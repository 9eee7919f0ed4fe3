import type { MessageBus } from '../contracts/bus.js';
import type { Scheduler } from '../contracts/clock.js';
import type { EngineCounters } from '../contracts/engine-api.js';
import type { OrderEventLog } from '../contracts/order-event.js';
import type { Outbox } from '../contracts/outbox.js';
import type { Sink } from '../contracts/sink.js';
import { durationMs, webhookUrls, type RiskwatchConfig } from '../core/config.js';
import type { Diagnostics } from '../core/diagnostics.js';
import { MqttSink } from './mqtt-sink.js';
import { OrderLogSink } from './order-log-sink.js';
import { WebhookSink } from './webhook-sink.js';

/** What a sink kind may build its sinks from. */
export interface SinkContext {
  config: RiskwatchConfig;
  scheduler: Scheduler;
  outbox: Outbox;
  orderLog: OrderEventLog;
  bus: Pick<MessageBus, 'publish'>;
  /** The engine's counters (/health): sinks count deliveries and failures here. */
  counters: EngineCounters;
  diag: Diagnostics;
}

/**
 * Every sink kind and how its configuration section becomes sinks: none while switched off, one
 * per endpoint. Adding a sink is one file implementing `Sink` (contracts/sink.ts), its section in
 * `core/config.ts`, and its line here; `tests/contract/describe-sink.ts` is the contract it passes.
 */
export const SINK_KINDS = {
  /** MQTT topics (`mqtt.topicPrefix`): alerts and orders. Always on: it is the public contract. */
  mqtt: (ctx: SinkContext): Sink[] => [new MqttSink({
    outbox: ctx.outbox,
    bus: ctx.bus,
    scheduler: ctx.scheduler,
    topicPrefix: ctx.config.mqtt.topicPrefix,
    retainDeliveredMs: durationMs(ctx.config.outbox.retainDelivered),
    onPublishFailed: (topic, err) => {
      ctx.counters.publishFailures++;
      ctx.diag.publishFailed(topic, err);
    },
  })],
  /** Webhooks (`webhook.*`): orders, one sink per URL; off while `webhook.url` is empty. */
  webhook: (ctx: SinkContext): Sink[] => webhookUrls(ctx.config).map((url) => {
    const { webhook } = ctx.config;
    return new WebhookSink({
      outbox: ctx.outbox,
      url,
      topicPrefix: ctx.config.mqtt.topicPrefix,
      secret: webhook.secret,
      timeoutMs: durationMs(webhook.timeout),
      maxAttempts: webhook.maxAttempts,
      concurrency: webhook.concurrency,
      retryBaseMs: durationMs(webhook.retryBase),
      retryMaxMs: durationMs(webhook.retryMax),
      scheduler: ctx.scheduler,
      onDelivered: () => {
        ctx.counters.webhookDelivered++;
      },
      onAttemptFailed: (_entry, err) => {
        ctx.counters.webhookFailedAttempts++;
        ctx.diag.webhookAttemptFailed(url, err);
      },
      onDead: (entry, err) => {
        ctx.counters.webhookDead++;
        ctx.diag.webhookDead(url, entry.id, err);
      },
    });
  }),
  /** The order event log behind the SSE stream (`dispatch.retainEvents`): orders. Always on. */
  sse: (ctx: SinkContext): Sink[] => [new OrderLogSink({
    log: ctx.orderLog,
    scheduler: ctx.scheduler,
    retainMs: durationMs(ctx.config.dispatch.retainEvents),
  })],
} as const satisfies Record<string, (ctx: SinkContext) => Sink[]>;

/** The configured sinks, in announcement order: MQTT, then webhooks, then the SSE log. */
export function buildSinks(ctx: SinkContext): Sink[] {
  return Object.values(SINK_KINDS).flatMap((build) => build(ctx));
}
