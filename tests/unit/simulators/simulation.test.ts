import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecordedMessage } from '../../../src/contracts/recording.js';
import { createTelemetryDecoder, DEFAULT_INGEST_OPTIONS } from '../../../src/ingest/telemetry-decoder.js';
import { Registry } from '../../../src/registry/registry.js';
import { loadRegistryFile, parseRegistry } from '../../../src/registry/registry-file.js';
import { fleetFromRegistry, generateCity, registryFileOf } from '../../../simulators/fleet.js';
import { writeRecording } from '../../../simulators/recording-writer.js';
import { simulate, type SimulationOptions } from '../../../simulators/simulation.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const START = Date.parse('2026-03-02T00:00:00+08:00');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function cityOptions(households: number, seed: number, span = DAY): SimulationOptions {
  return { fleet: fleetFromRegistry(new Registry(generateCity({ households, seed }))), seed, startMs: START, endMs: START + span };
}

function byDevice(messages: RecordedMessage[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const m of messages) {
    const list = map.get(m.topic) ?? [];
    list.push(JSON.stringify(m));
    map.set(m.topic, list);
  }
  return map;
}

describe('fleet simulation', () => {
  const dir = useTempDir('rw-sim-');

  it('is deterministic: the same seed and options give a byte-identical recording, another seed a different one', () => {
    const write = (name: string, seed: number) => {
      const path = join(dir(), name);
      writeRecording(simulate(cityOptions(60, seed, 6 * HOUR)), path);
      return readFileSync(path);
    };
    const a = write('a.ndjson', 7);
    const b = write('b.ndjson', 7);
    const c = write('c.ndjson', 8);
    expect(a.length).toBeGreaterThan(10_000);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('keeps each device to its own stream: adding a household changes no other device\'s messages', () => {
    const small = byDevice([...simulate(cityOptions(40, 3, 12 * HOUR))]);
    const large = byDevice([...simulate(cityOptions(41, 3, 12 * HOUR))]);
    expect(large.size).toBeGreaterThan(small.size);
    for (const [topic, messages] of small) expect(large.get(topic), topic).toEqual(messages);
  });

  it('emits messages in non-decreasing event time within the window, each device at its interval', () => {
    const messages = [...simulate(cityOptions(50, 1))];
    let last = -Infinity;
    for (const m of messages) {
      expect(m.t).toBeGreaterThanOrEqual(last);
      last = m.t;
    }
    expect(messages[0]!.t).toBeGreaterThanOrEqual(START);
    expect(last).toBeLessThan(START + DAY);
    const meter = messages.filter((m) => m.topic === 'rw/telemetry/wm-000001');
    expect(meter).toHaveLength(96); // 15-minute intervals for a day
    expect(meter[1]!.t - meter[0]!.t).toBe(15 * 60_000);
  });

  it('publishes only payloads the engine accepts: a day of a few hundred households, zero rejections', () => {
    const data = generateCity({ households: 300, seed: 11 });
    const registry = new Registry(data);
    const decoder = createTelemetryDecoder({}, registry);
    const types = new Set<string>();
    let messages = 0;
    let readings = 0;
    for (const batch of [false, true]) {
      const options: SimulationOptions = { fleet: fleetFromRegistry(registry), seed: 11, startMs: START, endMs: START + DAY };
      if (batch) options.batch = { everyMs: HOUR };
      for (const m of simulate(options)) {
        const out = decoder.decode({ topic: m.topic, payload: Buffer.from(JSON.stringify(m.payload)), receivedAt: m.t });
        readings += out.length;
        messages++;
        types.add(out[0]!.ctx.device.type);
      }
    }
    expect(messages).toBeGreaterThan(50_000);
    expect(readings).toBeGreaterThan(messages);
    expect([...types].sort()).toEqual(['door_sensor', 'gas_detector', 'gas_meter', 'smoke_detector', 'water_meter']);
  });

  it('runs the demo registry\'s devices, and payloads pass its schemas', () => {
    const registry = loadRegistryFile('registry/demo.yaml');
    const decoder = createTelemetryDecoder({}, registry);
    const fleet = fleetFromRegistry(registry);
    const seen = new Set<string>();
    for (const m of simulate({ fleet, seed: 1, startMs: START, endMs: START + 6 * HOUR })) {
      decoder.decode({ topic: m.topic, payload: Buffer.from(JSON.stringify(m.payload)), receivedAt: m.t });
      seen.add(m.topic);
    }
    expect(seen.size).toBe(registry.counts().devices);
  });

  it('batches meter readings NB-IoT style: one upload per period, readings in order, within the ingest limit', () => {
    const options = cityOptions(100, 5);
    options.batch = { everyMs: 4 * HOUR };
    const messages = [...simulate(options)];
    const water = messages.filter((m) => m.topic.startsWith('rw/telemetry/wm-'));
    const gas = messages.filter((m) => m.topic.startsWith('rw/telemetry/gm-'));
    const detectors = messages.filter((m) => m.topic.startsWith('rw/telemetry/gd-'));
    expect(water.length).toBeGreaterThan(0);
    for (const m of water) {
      const { readings } = m.payload as { readings: Array<{ ts: number }> };
      expect(readings).toHaveLength(16); // 4 h of 15-minute intervals
      expect(readings.length).toBeLessThanOrEqual(DEFAULT_INGEST_OPTIONS.maxBatchReadings);
      expect(readings.at(-1)!.ts).toBe(m.t); // uploaded when the last interval closes
      for (let i = 1; i < readings.length; i++) expect(readings[i]!.ts - readings[i - 1]!.ts).toBe(15 * 60_000);
    }
    for (const m of gas) expect((m.payload as { readings: unknown[] }).readings).toHaveLength(4);
    // Detectors never wait to report.
    for (const m of detectors) expect(m.payload).toHaveProperty('metrics');
  });

  it('writes a generated city as a registry file the loader accepts, with the same devices', () => {
    const data = generateCity({ households: 120, seed: 2 });
    const loaded = parseRegistry(JSON.stringify(registryFileOf(data)), 'city.json');
    const direct = new Registry(data);
    expect(loaded.counts()).toEqual(direct.counts());
    expect(loaded.device('wm-000001')).toEqual(direct.device('wm-000001'));
    expect(loaded.subject('hh-000001')).toEqual(direct.subject('hh-000001'));
  });

  it('generates a city with elderly residents living alone, buildings and every device type, without personal data', () => {
    const data = generateCity({ households: 2000, seed: 4 });
    const subjects = data.subjects!;
    const elderlyAlone = subjects.filter((s) => s.livingAlone && (s.age ?? 0) >= 60);
    expect(elderlyAlone.length / subjects.length).toBeGreaterThan(0.08);
    expect(elderlyAlone.length / subjects.length).toBeLessThan(0.18);
    expect(subjects.every((s) => s.personal === undefined)).toBe(true);
    const deviceIds = new Set(data.devices!.map((d) => d.subjectId + ':' + d.type));
    // every elderly resident living alone has a water meter and a door sensor
    for (const s of elderlyAlone) {
      expect(deviceIds.has(`${s.id}:water_meter`)).toBe(true);
      expect(deviceIds.has(`${s.id}:door_sensor`)).toBe(true);
    }
    const fleet = fleetFromRegistry(new Registry(data));
    const buildings = new Set(fleet.devices.map((d) => d.building));
    expect(buildings.size).toBe(Math.ceil(2000 / 24));
    // A city of N + 1 households is the city of N plus one.
    const smaller = generateCity({ households: 1999, seed: 4 });
    expect(smaller.subjects).toEqual(subjects.slice(0, 1999));
  });
});
