import { chmodSync } from 'node:fs';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Store } from '../../src/store/store.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { createTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { deliveryOf, type Delivery } from './delivery-check.js';
import type { HarnessContext, SinkHarness, SinkRig, SinkUnderTest } from './describe-sink.js';
import { CONTRACT_SINKS, TOPIC_PREFIX, type ChildSinkArgs } from './sink-builders.js';
import { within } from './wait.js';

let rigs = 0;

/**
 * The MQTT sink against a real mosquitto: the sink publishes through an ExternalBus (mqtt.js), the
 * receiver is an mqtt.js 3.1.1 client subscribed to `rw/#` at QoS 1. Stalled = the broker is
 * stopped; it comes back on the same port.
 *
 * The broker keeps sessions on disk (`persistence true`) and without a queue limit, and the
 * receiver has a persistent session: what the engine publishes after a restart of the broker
 * reaches the receiver even if the engine reconnects first. Without that, a message published in
 * the moment between the broker's restart and the receiver's resubscription would be lost by the
 * test set-up, not by the sink.
 */
export function mqttSinkHarness(): SinkHarness {
  return {
    accepts: ['alerts', 'orders'],
    setUp: (context) => MqttRig.start(context),
  };
}

class MqttRig implements SinkRig {
  private readonly received: Delivery[] = [];
  private brokerUp = true;

  private constructor(
    private readonly context: HarnessContext,
    private broker: Mosquitto,
    private readonly config: string[],
    private readonly persistence: string,
    private readonly receiver: MqttClient,
    private readonly id: string,
  ) {}

  static async start(context: HarnessContext): Promise<MqttRig> {
    const persistence = createTempDir('rw-contract-mosquitto-');
    try {
      // Started as root, mosquitto drops to its own user before it writes the session file.
      chmodSync(persistence, 0o777);
      const config = ['persistence true', `persistence_location ${persistence}/`, 'autosave_interval 0', 'max_queued_messages 0'];
      const broker = await startMosquitto({ config });
      const id = `rw-contract-${process.pid}-${++rigs}`;
      const receiver = await connectAsync(broker.url, {
        protocolVersion: 4, clientId: `${id}-receiver`, clean: false, reconnectPeriod: 50, connectTimeout: 2_000,
      });
      receiver.on('error', () => undefined); // connection refused while the broker is down: it reconnects
      const rig = new MqttRig(context, broker, config, persistence, receiver, id);
      receiver.on('message', (_topic, payload) => rig.arrived(payload.toString('utf8')));
      await receiver.subscribeAsync(`${TOPIC_PREFIX}/#`, { qos: 1 });
      return rig;
    } catch (err) {
      removeTempDir(persistence);
      throw err;
    }
  }

  async makeSink(store: Store): Promise<SinkUnderTest> {
    const { sink, ready, release } = CONTRACT_SINKS.mqtt.build({ store, onProblem: this.context.onProblem, ...this.childArgs(), scheduler: this.context.scheduler });
    if (this.brokerUp) await ready;
    const receivedBefore = this.received.length;
    return {
      sink,
      durableIds: () => CONTRACT_SINKS.mqtt.durableIds(store, sink),
      // Every message the receiver got from this sink has had its PUBACK back at the relay.
      settled: () => sink.delivered >= this.received.length - receivedBefore,
      release,
    };
  }

  childArgs(): ChildSinkArgs {
    return { kind: 'mqtt', target: `mqtt://127.0.0.1:${this.broker.port}`, id: this.id };
  }

  delivered(): readonly Delivery[] {
    return this.received;
  }

  async stall(): Promise<void> {
    this.brokerUp = false;
    await this.broker.stop();
  }

  async recover(): Promise<void> {
    this.broker = await startMosquitto({ config: this.config, port: this.broker.port });
    this.brokerUp = true;
  }

  async tearDown(): Promise<void> {
    try {
      // Ends the receiver's persistent session cleanly (the broker is removed next anyway).
      if (this.brokerUp && this.receiver.connected) await within(this.receiver.unsubscribeAsync(`${TOPIC_PREFIX}/#`), 'the receiver to unsubscribe', 2_000);
      await within(this.receiver.endAsync(true), 'the receiver to disconnect', 2_000);
    } finally {
      await this.broker.stop();
      removeTempDir(this.persistence);
    }
  }

  private arrived(json: string): void {
    const delivery = deliveryOf(json);
    this.received.push(delivery);
    this.context.onArrival(delivery);
  }
}
