import type { MessageBus } from '../contracts/bus.js';
import type { RiskwatchConfig } from '../core/config.js';
import type { Diagnostics } from '../core/diagnostics.js';
import { EmbeddedBus } from './embedded-bus.js';
import { ExternalBus } from './external-bus.js';

export interface BusEvents {
  diag: Diagnostics;
  /** A client publish the embedded broker refused (counted by the engine). */
  onDenied(): void;
  /** A subscriber's handler threw. */
  onHandlerError(err: Error): void;
}

/**
 * The engine's MQTT side from `mqtt.*`: an external broker through mqtt.js when `mqtt.broker` is
 * set, else the embedded aedes broker on `mqtt.host:mqtt.port`. Cold: nothing listens or connects
 * before `open()`.
 */
export function createBus(config: RiskwatchConfig['mqtt'], events: BusEvents): MessageBus {
  const { diag } = events;
  if (config.broker) {
    return new ExternalBus({
      url: config.broker,
      protocolVersion: config.protocolVersion as 4 | 5,
      clientId: config.clientId,
      // The input subscription covers the whole prefix (input-filter.ts): not the engine's own output.
      noLocal: true,
      ...(config.username ? { username: config.username, password: config.password } : {}),
      onHandlerError: (err) => events.onHandlerError(err as Error),
      onError: (err) => diag.busError(err as Error),
      onConnectionChange: (connected) => diag.busConnection(config.broker, connected),
    });
  }
  return new EmbeddedBus({
    port: config.port,
    host: config.host,
    hooks: {
      prefix: config.topicPrefix,
      onDenied: (denial) => {
        events.onDenied();
        diag.publishDenied(denial.clientId, denial.topic, denial.reason);
      },
    },
    onHandlerError: (err) => events.onHandlerError(err as Error),
  });
}

/** The embedded broker's port once open (for the start-up log line), else undefined. */
export function embeddedPort(bus: MessageBus): number | undefined {
  return bus instanceof EmbeddedBus ? bus.port : undefined;
}

/** Whether the bus is connected; the embedded one always is while open. */
export function isConnected(bus: MessageBus | undefined): boolean {
  if (!bus) return false;
  const flag = (bus as { connected?: boolean }).connected;
  return flag === undefined ? true : flag;
}
