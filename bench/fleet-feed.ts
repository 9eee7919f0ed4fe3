import type { DeviceType } from '../src/contracts/registry.js';
import type { Engine } from '../src/engine.js';

/**
 * One ordinary, valid reading per device type: nothing in it raises a threshold, and every device
 * type's schema accepts it (a water meter's payload sent to a gas detector would be a dead letter,
 * and a dead letter builds no model state). `n` varies the values so the fleet is not one reading.
 */
export function quietMetrics(type: DeviceType, n: number): Record<string, number | boolean> {
  switch (type) {
    case 'water_meter':
      return { flow_lpm: n % 5 === 0 ? 1.5 : 0, total_m3: 10 + n / 1e6 };
    case 'gas_meter':
      return { flow_m3h: 0, total_m3: 5 + n / 1e6 };
    case 'gas_detector':
      return { gas_lel_pct: 0 };
    case 'smoke_detector':
      return { smoke_alarm: false };
    case 'door_sensor':
      return { door_open: n % 2 === 0 };
  }
}

/**
 * Feeds one reading per device straight into the engine's pipeline (`engine.ingest`, what the
 * broker calls), in chunks so timers, the group commit and GC get the event loop between them.
 * In process on purpose: these benchmarks measure state and timers, not the MQTT hop.
 */
export async function feedOnce(
  engine: Engine,
  devices: readonly { id: string; type: DeviceType }[],
  ts: (index: number) => number,
  chunk = 5_000,
): Promise<void> {
  const prefix = engine.config.mqtt.topicPrefix;
  for (let start = 0; start < devices.length; start += chunk) {
    const end = Math.min(devices.length, start + chunk);
    for (let i = start; i < end; i++) {
      const device = devices[i]!;
      engine.ingest(`${prefix}/telemetry/${device.id}`, Buffer.from(JSON.stringify({ ts: ts(i), metrics: quietMetrics(device.type, i) })));
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
