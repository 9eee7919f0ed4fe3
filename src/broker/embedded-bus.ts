import type { AedesPublishPacket, PublishPacket } from 'aedes';
import type { MessageBus, MessageHandler, PublishOptions } from '../contracts/bus.js';
import { ERR_BUS_NOT_OPEN } from '../core/errors.js';
import { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
import { assertTopicFilter, assertTopicName } from './topic-filter.js';

export interface EmbeddedBusOptions extends EmbeddedBrokerOptions {
  /**
   * A handler that throws must not corrupt aedes' delivery state, so the error is caught and
   * handed here. Default: rethrown on a microtask — an uncaught error, as from any event listener.
   */
  onHandlerError?: (err: unknown, topic: string) => void;
}

type Deliver = (packet: AedesPublishPacket, callback: () => void) => void;

const rethrowLater = (err: unknown): void => {
  queueMicrotask(() => {
    throw err;
  });
};

/**
 * How deep in-process deliveries may nest before the next one is started from a fresh stack.
 * aedes' emitter (mqemitter) lets `concurrency` (100) messages be in flight; past that it queues
 * them, and each finished delivery starts the next queued one synchronously from inside its
 * callback. A slow TCP subscriber can hold 100 deliveries open while thousands of readings queue;
 * when it drains, a synchronous handler like ours would walk that whole queue in one ever deeper
 * stack and overflow it (seen at 200 000 msg/s: "Maximum call stack size exceeded", and the engine
 * died). Past this depth the callback runs on a microtask instead: same order, no added wait.
 */
const MAX_NESTED_DELIVERIES = 64;
let nestedDeliveries = 0;

function release(callback: () => void): void {
  if (nestedDeliveries >= MAX_NESTED_DELIVERIES) {
    queueMicrotask(callback);
    return;
  }
  nestedDeliveries++;
  try {
    callback();
  } finally {
    nestedDeliveries--;
  }
}

/**
 * The engine's side of the embedded aedes broker. Devices connect over TCP; the engine itself is
 * not a client: it subscribes and publishes in-process (aedes `subscribe(topic, deliver, cb)` and
 * `publish(packet, cb)`), with no loopback socket, no MQTT encoding and no PUBACK round trip —
 * that is what delivers ~80k msg/s on two cores.
 *
 * Lifecycle: new EmbeddedBus(options) → open() (starts the broker) → subscribe()/publish() →
 * close(). Cold: the constructor neither listens nor allocates the broker.
 *
 * In-process subscriptions are not MQTT sessions: they exist while the process runs, so telemetry
 * published while the engine is down is lost (devices keep their own retry/batching). Delivery is
 * synchronous per message and in order per publishing client.
 */
export class EmbeddedBus implements MessageBus {
  readonly kind = 'embedded' as const;
  private broker: EmbeddedBroker | undefined;
  private opening: Promise<void> | undefined;
  private closed = false;
  private readonly onHandlerError: (err: unknown, topic: string) => void;

  constructor(private readonly options: EmbeddedBusOptions = {}) {
    this.onHandlerError = options.onHandlerError ?? rethrowLater;
  }

  /** The bound TCP port (the ephemeral one when the option was 0); 0 while not open. */
  get port(): number {
    return this.broker?.port ?? 0;
  }

  /** Clients connected over TCP right now (for health). */
  get connectedClients(): number {
    return this.broker && !this.closed ? this.broker.aedes.connectedClients : 0;
  }

  /** Client publishes refused by `authorizePublish` since open (for health). */
  get deniedPublishes(): number {
    return this.broker?.hooks.stats.denied ?? 0;
  }

  /** The running broker, for wiring that needs aedes itself (events, metrics). */
  get embeddedBroker(): EmbeddedBroker | undefined {
    return this.broker;
  }

  open(): Promise<void> {
    if (this.closed) return Promise.reject(ERR_BUS_NOT_OPEN(this.kind));
    // A second open() while opening or open is the same open.
    this.opening ??= startEmbeddedBroker(this.options).then(
      (broker) => {
        this.broker = broker;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    const broker = this.openBroker();
    assertTopicFilter(filter);
    const onHandlerError = this.onHandlerError;
    // [MQTT-4.7.2-1] `#` or `+` as the first level must not match `$SYS/...`; mqemitter does not
    // apply that rule to in-process subscribers, so it is applied here.
    const skipDollarTopics = filter.charCodeAt(0) === 35 || filter.charCodeAt(0) === 43;
    const deliver: Deliver = (packet, callback) => {
      const topic = packet.topic;
      if (!skipDollarTopics || topic.charCodeAt(0) !== 36) {
        const payload = packet.payload;
        try {
          handler(topic, typeof payload === 'string' ? Buffer.from(payload) : payload);
        } catch (err) {
          onHandlerError(err, topic);
        }
      }
      release(callback);
    };
    return new Promise<void>((resolve) => broker.aedes.subscribe(filter, deliver, resolve));
  }

  /**
   * Resolves when aedes calls back: the message has been stored when retained, queued for offline
   * persistent sessions (QoS 1) and handed to every online subscriber — "taken by the broker".
   * In-process publishes skip `authorizePublish`: the engine may publish its own topics.
   */
  async publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const broker = this.openBroker();
    assertTopicName(topic);
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: options.qos,
      retain: options.retain ?? false,
      dup: false,
    };
    return new Promise<void>((resolve, reject) => {
      broker.aedes.publish(packet, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    if (!opening) return;
    await opening.catch(() => undefined);
    await this.broker?.close();
  }

  private openBroker(): EmbeddedBroker {
    if (this.closed || !this.broker) throw ERR_BUS_NOT_OPEN(this.kind);
    return this.broker;
  }
}
