import mqtt, { type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import { EmbeddedBus } from '../../src/broker/embedded-bus.js';
import { matchesTopicFilter } from '../../src/broker/topic-filter.js';
import type { Scheduler } from '../../src/contracts/clock.js';
import { resolveConfig, type DeepPartial, type RiskwatchConfig } from '../../src/core/config.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { PERSONAL_FIELD_PATHS } from '../../src/registry/personal-data.js';

export interface TestEngine {
  engine: Engine;
  /** The broker devices and dispatch systems talk to: the embedded one, or the external one. */
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

/** A logger that keeps every line (at debug) so tests can check what was — and was not — logged. */
export function capturingLogger(lines: string[]): Logger {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return pino({ level: 'debug', redact: { paths: [...PERSONAL_FIELD_PATHS], censor: '[redacted]' } }, stream);
}

/**
 * A real engine on a real SQLite file: embedded broker on an ephemeral port (or `broker` for an
 * external one), no HTTP listener (tests use buildApp + inject), the shipped scenarios and the
 * demo registry unless told otherwise.
 */
export async function startTestEngine(dataDir: string, overrides: DeepPartial<RiskwatchConfig> = {}, scheduler?: Scheduler): Promise<TestEngine> {
  const config = resolveConfig(
    { mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: dataDir, rules: 'rules', registry: 'registry/demo.yaml', log: { level: 'debug' } },
    overrides,
  );
  const logs: string[] = [];
  const engine = createEngine(config, { logger: capturingLogger(logs), ...(scheduler ? { scheduler } : {}) });
  await engine.start();
  const bus = engine.messageBus;
  const url = bus instanceof EmbeddedBus ? `mqtt://127.0.0.1:${bus.port}` : config.mqtt.broker;
  return { engine, url, logs, stop: () => engine.stop() };
}

/** A device simulator / dispatch system client over TCP (MQTT 3.1.1, as aedes speaks). */
export async function connectClient(url: string, clientId?: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...(clientId ? { clientId } : {}) });
}

/**
 * What a dispatch system subscribes to for orders. Not `rw/orders/+/+`: that also matches the
 * status topic `rw/orders/{orderId}/status`.
 */
export const ORDER_FILTERS = ['rw/orders/grid/+', 'rw/orders/community/+', 'rw/orders/street/+'];

/** Collects messages on `filter`(s); `next(predicate)` resolves with the first (past or future) that matches. */
export async function collect(client: MqttClient, filter: string | string[]) {
  const filters = Array.isArray(filter) ? filter : [filter];
  const messages: Array<{ topic: string; body: unknown }> = [];
  const waiters: Array<{ match: (m: { topic: string; body: unknown }) => boolean; resolve: (m: { topic: string; body: unknown }) => void }> = [];
  client.on('message', (topic, payload) => {
    // One client may hold several subscriptions: keep only what this filter matches.
    if (!filters.some((f) => matchesTopicFilter(f, topic))) return;
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      body = payload.toString('utf8');
    }
    const message = { topic, body };
    messages.push(message);
    for (const w of [...waiters]) {
      if (w.match(message)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  });
  await client.subscribeAsync(filters, { qos: 1 });
  return {
    messages,
    next(match: (m: { topic: string; body: unknown }) => boolean = () => true, timeoutMs = 10_000): Promise<{ topic: string; body: unknown }> {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (m: { topic: string; body: unknown }) => { clearTimeout(timer); resolve(m); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no message on ${filters.join(' ')} matched within ${timeoutMs} ms (got ${messages.length}: ${messages.map((m) => m.topic).join(', ')})`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

export function telemetry(metrics: Record<string, number | boolean>, ts?: number): string {
  return JSON.stringify(ts === undefined ? { metrics } : { ts, metrics });
}
