import type { SchedulerLike } from 'rxjs';
import { ExternalBus } from '../../src/broker/external-bus.js';
import type { Sink } from '../../src/contracts/sink.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { OrderLogSink } from '../../src/sinks/order-log-sink.js';
import { WebhookSink } from '../../src/sinks/webhook-sink.js';
import type { Store } from '../../src/store/store.js';

/**
 * How the contract suites build each kind of sink, in one place: the harnesses use it in the test
 * process, and sink-process.ts in a child process the suite kills. No vitest in here.
 */
export interface SinkBuildOptions {
  store: Store;
  scheduler: SchedulerLike;
  /** Where the sink delivers: the broker's `mqtt://` URL, the webhook URL; unused by the order log. */
  target: string;
  /** A name for this test's connections (the MQTT client id: stable across restarts, as in production). */
  id: string;
  onProblem(problem: string): void;
}

export interface BuiltSink {
  sink: Sink;
  /** Resolves once the sink can reach its receiver's side (the bus is open); at once for the others. */
  ready: Promise<void>;
  /** What the process holds besides the sink (its bus connection), let go as a process that ends does. */
  release(): Promise<void>;
}

export const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const TOPIC_PREFIX = 'rw';
const DAY_MS = 24 * 3_600_000;

export interface ContractSinkKindDefinition {
  build(options: SinkBuildOptions): BuiltSink;
  /** The CloudEvent ids `store` holds for `sink` to deliver (outbox rows, order log entries), delivered or not. */
  durableIds(store: Store, sink: Sink): string[];
}

export const CONTRACT_SINKS = {
  /** MqttSink publishing through an ExternalBus (mqtt.js) to the broker at `target`. */
  mqtt: {
    build: ({ store, scheduler, target, id, onProblem }) => {
      const bus = new ExternalBus({
        url: target,
        clientId: `${id}-engine`,
        reconnect: { initialMs: 50, maxMs: 200 },
        connectTimeoutMs: 1_000,
        openTimeoutMs: 20_000,
        closeTimeoutMs: 1_000,
        onError: () => undefined, // connection refused while the broker is down: it reconnects
      });
      // With the broker down, the process starts anyway: the relay's publishes fail and are retried.
      const ready = bus.open().catch((err: unknown) => onProblem(`the engine's bus did not open: ${String(err)}`));
      const sink = new MqttSink({ outbox: store.outbox, bus, scheduler, topicPrefix: TOPIC_PREFIX, retainDeliveredMs: DAY_MS });
      return { sink, ready, release: () => bus.close() };
    },
    durableIds: (store, sink) => (store.db.prepare('SELECT payload FROM outbox WHERE sink = ? ORDER BY id').pluck().all(sink.name) as string[])
      .map((payload) => (JSON.parse(payload) as { id: string }).id),
  },
  /** WebhookSink POSTing to `target`. */
  webhook: {
    build: ({ store, scheduler, target, onProblem }) => {
      const sink: WebhookSink = new WebhookSink({
        outbox: store.outbox,
        url: target,
        topicPrefix: TOPIC_PREFIX,
        secret: WEBHOOK_SECRET,
        timeoutMs: 5_000,
        // Giving up (dead entries) is not part of this contract: never within a test.
        maxAttempts: 1_000,
        concurrency: 4,
        retryBaseMs: 100,
        retryMaxMs: 1_000,
        scheduler,
        random: () => 0.5,
        onError: (err) => onProblem(`${sink.name}: ${String(err)}`),
      });
      // The relay's HTTP worker is closed by stop().
      return { sink, ready: Promise.resolve(), release: async () => undefined };
    },
    durableIds: (store, sink) => store.db.prepare('SELECT idempotency_key FROM outbox WHERE sink = ? ORDER BY id').pluck().all(sink.name) as string[],
  },
  /** OrderLogSink over the store's order event log (the stream route serves it). */
  sse: {
    build: ({ store, scheduler }) => ({
      sink: new OrderLogSink({ log: store.orderEvents, scheduler, retainMs: 7 * DAY_MS }),
      ready: Promise.resolve(),
      release: async () => undefined,
    }),
    durableIds: (store) => store.db.prepare("SELECT order_id || ':' || version FROM order_events ORDER BY id").pluck().all() as string[],
  },
} satisfies Record<string, ContractSinkKindDefinition>;

export type ContractSinkKind = keyof typeof CONTRACT_SINKS;

/** What another process needs to build the same sink as a rig (the arguments of sink-process.ts). */
export interface ChildSinkArgs {
  kind: ContractSinkKind;
  target: string;
  id: string;
}
