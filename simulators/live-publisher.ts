import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import type { RecordedMessage } from '../src/contracts/recording.js';
import { readingsIn } from './recording-writer.js';

export interface LiveOptions {
  url: string;
  /** Target publish rate, messages per second. */
  rate: number;
  /** MQTT client id (default `riskwatch-simulate-{pid}`). */
  clientId?: string;
  /** Aborting stops publishing after the message in flight (Ctrl-C). */
  signal?: AbortSignal;
  /** Called about once a second, and once at the end. */
  onProgress?: (progress: Readonly<LiveProgress>) => void;
  /** The wall clock (default Date.now); a parameter so the pacing arithmetic can be tested. */
  now?: () => number;
}

export interface LiveProgress {
  messages: number;
  readings: number;
  /** Achieved rate since the start, messages per second of wall time. */
  ratePerSecond: number;
  /** Event time of the last message sent (simulated time). */
  simulatedAt?: number;
  elapsedMs: number;
}

/** Pacing tick: small enough for a smooth rate, large enough not to spin. */
const TICK_MS = 10;

/**
 * Publishes simulated traffic to a broker at a target rate: the live mode of `riskwatch simulate`.
 *
 * This is a live tool, so it runs on the wall clock (Date.now and setTimeout are right here, unlike
 * in the engine). Messages go out in event-time order at up to `rate` per second; simulated time
 * advances with them but never runs ahead of the wall clock, because the engine rejects readings
 * stamped more than a few minutes in its future (`ingest.maxFutureSkewMs`). So a fleet started in
 * the past catches up at `rate`, then follows real time at its own pace.
 *
 * MQTT 3.1.1, QoS 0 (telemetry is a stream; a lost heartbeat is what devices do too), TCP_NODELAY.
 * Resolves when the messages run out (`--duration`) or the signal aborts.
 */
export async function publishLive(messages: Iterator<RecordedMessage>, options: LiveOptions): Promise<LiveProgress> {
  const now = options.now ?? Date.now;
  if (!(options.rate > 0)) throw new Error(`rate must be a positive number of messages per second, got ${options.rate}`);
  const client: MqttClient = await mqtt.connectAsync(options.url, {
    protocolVersion: 4,
    clientId: options.clientId ?? `riskwatch-simulate-${process.pid}`,
    reconnectPeriod: 1000,
  });
  (client.stream as Socket).setNoDelay?.(true);
  const startedAt = now();
  const progress: LiveProgress = { messages: 0, readings: 0, ratePerSecond: 0, elapsedMs: 0 };
  const update = () => {
    progress.elapsedMs = now() - startedAt;
    progress.ratePerSecond = progress.elapsedMs > 0 ? (progress.messages * 1000) / progress.elapsedMs : 0;
  };
  let lastReport = startedAt;
  let pending = messages.next();
  try {
    while (!pending.done && !options.signal?.aborted) {
      const wall = now();
      // Token bucket: by now `rate × elapsed` messages may have gone out.
      let allowed = Math.floor(((wall - startedAt) * options.rate) / 1000) - progress.messages;
      while (allowed > 0 && !pending.done && pending.value.t <= wall) {
        const message = pending.value;
        client.publish(message.topic, JSON.stringify(message.payload), { qos: 0 });
        progress.messages++;
        progress.readings += readingsIn(message.payload);
        progress.simulatedAt = message.t;
        allowed--;
        pending = messages.next();
      }
      if (wall - lastReport >= 1000) {
        lastReport = wall;
        update();
        options.onProgress?.(progress);
      }
      // Let the socket drain before producing more: the broker sets the pace if it is slower.
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    await flushed(client);
  } finally {
    await client.endAsync();
  }
  update();
  options.onProgress?.(progress);
  return progress;
}

/** Resolves once everything queued on the socket has been written. */
function flushed(client: MqttClient): Promise<void> {
  const stream = client.stream as Socket;
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}
