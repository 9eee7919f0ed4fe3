import type { MessageBus } from '../contracts/bus.js';
import type { EngineCounters, HealthReport } from '../contracts/engine-api.js';
import { isConnected } from '../broker/create-bus.js';

/** What /health reports beyond the counters: gauges read from the stages now. */
export interface HealthGauges {
  openAlerts: number;
  outboxPending: number;
  deadLetters: number;
  watchedOrders: number;
  dispatchQueue: number;
}

/**
 * `degraded` (HTTP 503) when the engine cannot do its job: stopped, the broker disconnected, or the
 * store closed.
 */
export function healthReport(running: boolean, uptimeMs: number, bus: MessageBus | undefined, storeOpen: boolean, counters: EngineCounters, gauges: HealthGauges): HealthReport {
  const connected = running && isConnected(bus);
  return {
    status: connected && storeOpen ? 'ok' : 'degraded',
    uptimeMs: running ? uptimeMs : 0,
    broker: { kind: bus?.kind ?? 'embedded', connected },
    counters: { ...counters, ...gauges },
  };
}
