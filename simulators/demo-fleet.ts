import mqtt, { type MqttClient } from 'mqtt';
import type { Device, Subject } from '../src/contracts/registry.js';
import type { Registry } from '../src/registry/registry.js';
import { CatalogueReadings } from './devices/catalogue-readings.js';
import { streamFor } from './random.js';

export interface DemoFleetOptions {
  url: string;
  registry: Registry;
  prefix: string;
  log(line: string): void;
  /** Reporting interval of every device (wall clock; this is a live simulator). */
  intervalMs?: number;
}

type Behaviour = (tick: number, device: Device) => Record<string, number | boolean> | undefined;

interface Incident {
  deviceId: string;
  atTick: number;
  what: string;
}

/**
 * The small fleet behind `npm start`: every registry device reports every 2 s over real MQTT, and
 * five incidents are injected so the demo scenarios fire within a minute — an elderly resident
 * living alone who uses no water, a tap left running, a gas leak building up, a smoke alarm and a
 * water meter that goes silent. (The full simulator with diurnal profiles, seeds and labels is
 * `riskwatch simulate`.)
 */
export async function startDemoFleet(options: DemoFleetOptions): Promise<{ stop(): Promise<void>; incidents: Incident[] }> {
  const { registry, prefix } = options;
  const intervalMs = options.intervalMs ?? 2000;
  const secondsToTicks = (s: number) => Math.round((s * 1000) / intervalMs);
  const devices = registry.devices();
  const subjectOf = (d: Device): Subject | undefined => (d.subjectId ? registry.subject(d.subjectId) : undefined);
  const isElderlyAlone = (d: Device) => {
    const s = subjectOf(d);
    return Boolean(s?.livingAlone && (s.age ?? 0) >= 60);
  };

  // Incidents in different grids where the registry allows, so the orders go to different offices.
  const usedPlaces = new Set<string>();
  const pick = (candidates: Device[]) => {
    const chosen = candidates.find((d) => !usedPlaces.has(d.placeId)) ?? candidates[0];
    if (chosen) usedPlaces.add(chosen.placeId);
    return chosen;
  };
  const waterMeters = devices.filter((d) => d.type === 'water_meter');
  const quietElder = pick(waterMeters.filter(isElderlyAlone));
  const others = waterMeters.filter((d) => !isElderlyAlone(d));
  const runningTap = pick(others);
  const silentMeter = pick(others.filter((d) => d !== runningTap));
  const leakingDetector = pick(devices.filter((d) => d.type === 'gas_detector'));
  const smokeDetector = pick(devices.filter((d) => d.type === 'smoke_detector' && d.subjectId));

  const incidents: Incident[] = [];
  const behaviours = new Map<string, Behaviour>();
  const totals = new Map<string, number>();
  const water = (flowing: boolean) => (tick: number, d: Device) => {
    const flow = flowing ? 6.5 : 0;
    const total = (totals.get(d.id) ?? 10 + (hash(d.id) % 90)) + (flow * intervalMs) / 60_000 / 1000;
    totals.set(d.id, total);
    return { flow_lpm: flow, total_m3: Math.round(total * 1000) / 1000, battery_pct: 87 };
  };
  // Normal households use water every few seconds (the demo's inactivity levels are 20/30/45 s).
  const normalWater: Behaviour = (tick, d) => water((tick + hash(d.id)) % 3 === 0)(tick, d);

  for (const d of devices) {
    switch (d.type) {
      case 'water_meter': behaviours.set(d.id, normalWater); break;
      case 'gas_meter': behaviours.set(d.id, (t) => ({ flow_m3h: t % 4 === 0 ? 0.4 : 0, total_m3: 100 + t * 0.001 })); break;
      case 'gas_detector': behaviours.set(d.id, (t, dev) => ({ gas_lel_pct: ((t + hash(dev.id)) % 3) * 0.5 })); break;
      case 'smoke_detector': behaviours.set(d.id, () => ({ smoke_alarm: false, smoke_obscuration_pct_per_m: 0.1 })); break;
      case 'door_sensor': behaviours.set(d.id, (t) => ({ door_open: t % 5 === 0 })); break;
      default: behaviours.set(d.id, catalogueBehaviour(d, intervalMs));
    }
  }
  if (quietElder) {
    behaviours.set(quietElder.id, water(false));
    incidents.push({ deviceId: quietElder.id, atTick: 0, what: 'elderly resident living alone stops using water' });
  }
  if (runningTap) {
    const start = secondsToTicks(6);
    behaviours.set(runningTap.id, (t, d) => (t >= start ? water(true)(t, d) : normalWater(t, d)));
    incidents.push({ deviceId: runningTap.id, atTick: start, what: 'tap left running' });
  }
  if (silentMeter) {
    const start = secondsToTicks(10);
    behaviours.set(silentMeter.id, (t, d) => (t >= start ? undefined : normalWater(t, d)));
    incidents.push({ deviceId: silentMeter.id, atTick: start, what: 'water meter goes silent' });
  }
  if (leakingDetector) {
    const start = secondsToTicks(12);
    behaviours.set(leakingDetector.id, (t) => ({ gas_lel_pct: t < start ? 0.5 : Math.min(32, 0.5 + (t - start) * 4) }));
    incidents.push({ deviceId: leakingDetector.id, atTick: start, what: 'gas leak building up' });
  }
  if (smokeDetector) {
    const start = secondsToTicks(30);
    behaviours.set(smokeDetector.id, (t) => ({ smoke_alarm: t >= start, smoke_obscuration_pct_per_m: t >= start ? 12 : 0.1 }));
    incidents.push({ deviceId: smokeDetector.id, atTick: start, what: 'smoke alarm' });
  }

  const client: MqttClient = await mqtt.connectAsync(options.url, { protocolVersion: 4, clientId: `riskwatch-demo-fleet-${process.pid}`, reconnectPeriod: 1000 });
  for (const i of incidents) options.log(`  incident at +${Math.round((i.atTick * intervalMs) / 1000)}s: ${i.what} (${i.deviceId})`);

  let tick = 0;
  const publishAll = () => {
    const ts = Date.now();
    for (const d of devices) {
      const metrics = behaviours.get(d.id)?.(tick, d);
      if (metrics) client.publish(`${prefix}/telemetry/${d.id}`, JSON.stringify({ ts, metrics }), { qos: 0 });
    }
    tick++;
  };
  publishAll();
  const timer = setInterval(publishAll, intervalMs);
  return {
    incidents,
    async stop() {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}

/**
 * Any other catalogue type reports the catalogue's readings, showing its activity every third
 * report as the demo's normal households do (its inactivity levels are 20/30/45 s).
 */
function catalogueBehaviour(device: Device, intervalMs: number): Behaviour {
  const readings = CatalogueReadings.of(device.type);
  const rng = streamFor(0, device.id);
  const state = readings.init(rng);
  const showsActivity = readings.spec.simulation.active !== undefined;
  return (tick) => readings.reading(state, showsActivity && (tick + hash(device.id)) % 3 === 0 ? 'active' : 'normal', intervalMs, rng);
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}
