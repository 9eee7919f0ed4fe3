import { describe, expect, it } from 'vitest';
import type { IncidentLabel, RecordedMessage } from '../../../src/contracts/recording.js';
import { Registry } from '../../../src/registry/registry.js';
import { fleetFromRegistry, generateCity, type Fleet } from '../../../simulators/fleet.js';
import { INCIDENT_KINDS, parseIncidentFlag, parseTimeline, planIncidents, randomIncidents } from '../../../simulators/incidents.js';
import { simulate, type SimulationOptions } from '../../../simulators/simulation.js';

const START = Date.parse('2026-03-02T00:00:00+08:00');
const HOUR = 3_600_000;
const END = START + 2 * 24 * HOUR;

interface FlatReading {
  deviceId: string;
  t: number;
  ts: number;
  metrics: Record<string, number | boolean>;
}

function flatten(messages: Iterable<RecordedMessage>): Map<string, FlatReading[]> {
  const out = new Map<string, FlatReading[]>();
  for (const m of messages) {
    const deviceId = m.topic.slice('rw/telemetry/'.length);
    const payload = m.payload as { ts?: number; metrics?: FlatReading['metrics']; readings?: Array<{ ts: number; metrics: FlatReading['metrics'] }> };
    const readings = payload.readings ?? [{ ts: payload.ts!, metrics: payload.metrics! }];
    const list = out.get(deviceId) ?? [];
    for (const r of readings) list.push({ deviceId, t: m.t, ts: r.ts, metrics: r.metrics });
    out.set(deviceId, list);
  }
  return out;
}

/** Asserts that the recording shows what the label says happened. */
function expectRecordingShows(label: IncidentLabel, readings: Map<string, FlatReading[]>, fleet: Fleet): void {
  const end = label.endAt ?? END;
  const during = (id: string) => (readings.get(id) ?? []).filter((r) => r.ts >= label.startAt && r.ts < end);
  const before = (id: string) => (readings.get(id) ?? []).filter((r) => r.ts < label.startAt);
  expect(label.deviceIds.length, label.id).toBeGreaterThan(0);
  for (const id of label.deviceIds) {
    switch (label.kind) {
      case 'elderly_no_water': {
        const rs = during(id);
        expect(rs.length, label.id).toBeGreaterThan(4);
        expect(rs.every((r) => r.metrics.flow_lpm === 0), label.id).toBe(true);
        break;
      }
      case 'tap_left_running': {
        const rs = during(id);
        expect(rs.length, label.id).toBeGreaterThanOrEqual(8);
        expect(rs.every((r) => (r.metrics.flow_lpm as number) > 0.5), label.id).toBe(true);
        break;
      }
      case 'gas_leak':
      case 'building_gas_event': {
        expect(Math.max(...during(id).map((r) => r.metrics.gas_lel_pct as number)), label.id).toBeGreaterThanOrEqual(25);
        expect(Math.max(...before(id).map((r) => r.metrics.gas_lel_pct as number)), label.id).toBeLessThan(5);
        break;
      }
      case 'smoke': {
        expect(during(id).some((r) => r.metrics.smoke_alarm === true), label.id).toBe(true);
        expect(before(id).some((r) => r.metrics.smoke_alarm === true), label.id).toBe(false);
        break;
      }
      case 'meter_silent': {
        const all = readings.get(id) ?? [];
        expect(all.some((r) => r.t < label.startAt), label.id).toBe(true);
        expect(all.filter((r) => r.t >= label.startAt && r.t < end), label.id).toEqual([]);
        break;
      }
    }
  }
  if (label.kind === 'building_gas_event') {
    const buildings = new Set(label.deviceIds.map((id) => fleet.devices.find((d) => d.id === id)!.building));
    expect(buildings.size).toBe(1);
    expect(label.deviceIds.length).toBeGreaterThan(1);
  }
}

describe('incident injection', () => {
  const fleet = fleetFromRegistry(new Registry(generateCity({ households: 400, seed: 9 })));
  const window = { startMs: START, endMs: END };

  for (const batch of [false, true]) {
    it(`labels match what was published (every kind, ${batch ? 'NB-IoT batches' : 'single readings'})`, () => {
      const specs = randomIncidents(fleet, 12, window, 9);
      expect(specs.map((s) => s.kind).sort()).toEqual([...INCIDENT_KINDS, ...INCIDENT_KINDS].sort());
      const plan = planIncidents(fleet, specs, window, 9);
      const options: SimulationOptions = { fleet, seed: 9, startMs: START, endMs: END, effects: plan.effects };
      if (batch) options.batch = { everyMs: HOUR };
      const readings = flatten(simulate(options));
      expect(plan.labels).toHaveLength(12);
      for (const label of plan.labels) expectRecordingShows(label, readings, fleet);
      // Incidents long enough for their scenario expect it; the ids are the shipped scenarios'.
      const expected = new Set(plan.labels.flatMap((l) => l.expectedScenarios));
      expect([...expected].sort()).toEqual(['elderly-no-water', 'gas-concentration', 'meter-offline', 'smoke-alarm', 'water-running-continuously']);
    });
  }

  it('leaves devices without incidents exactly as they were', () => {
    const plain = flatten(simulate({ fleet, seed: 9, startMs: START, endMs: START + 12 * HOUR }));
    const detector = fleet.devices.find((d) => d.type === 'gas_detector')!.id;
    const plan = planIncidents(fleet, [parseIncidentFlag(`gas_leak:${detector}@2h`, START)], window, 9);
    const withLeak = flatten(simulate({ fleet, seed: 9, startMs: START, endMs: START + 12 * HOUR, effects: plan.effects }));
    for (const [id, rs] of plain) if (id !== detector) expect(withLeak.get(id), id).toEqual(rs);
    expect(withLeak.get(detector)).not.toEqual(plain.get(detector));
    // The detector reports on change: the leak's first reading goes out at its start, then every minute.
    const leak = withLeak.get(detector)!.filter((r) => r.ts >= START + 2 * HOUR && r.ts < START + 3 * HOUR);
    expect(leak[0]!.ts).toBe(START + 2 * HOUR);
    expect(leak).toHaveLength(60);
  });

  it('expects no scenario from an incident too short, or aimed at a household the scenario does not watch', () => {
    const family = fleet.devices.find((d) => d.type === 'water_meter' && d.householdSize > 1)!;
    const plan = planIncidents(fleet, [
      parseIncidentFlag('tap_left_running:wm-000001@1h/1h', START),
      parseIncidentFlag('meter_silent:wm-000002@1h/30m', START),
      parseIncidentFlag(`elderly_no_water:${family.id}@1h`, START),
      parseIncidentFlag('tap_left_running:wm-000001@10h/3h', START),
    ], window);
    expect(plan.labels.map((l) => l.expectedScenarios)).toEqual([[], [], [], ['water-running-continuously']]);
  });

  it('resolves a household to its devices and a grid to its gas detectors', () => {
    const elderly = fleet.devices.find((d) => d.type === 'water_meter' && d.livingAlone && (d.age ?? 0) >= 60)!;
    const gridDetectors = fleet.devices.filter((d) => d.type === 'gas_detector' && d.placeId === 'gr-1').map((d) => d.id);
    const plan = planIncidents(fleet, [
      { kind: 'elderly_no_water', target: elderly.subjectId!, at: START + HOUR },
      { kind: 'building_gas_event', target: 'gr-1', at: START + HOUR, durationMs: HOUR },
    ], window);
    expect(plan.labels[0]).toMatchObject({ id: 'inc-0001', kind: 'elderly_no_water', deviceIds: [elderly.id], subjectId: elderly.subjectId, startAt: START + HOUR });
    expect(plan.labels[0]).not.toHaveProperty('endAt');
    expect(plan.labels[1]!.deviceIds).toEqual(gridDetectors);
    expect(plan.labels[1]).not.toHaveProperty('subjectId');
    expect(plan.labels[1]!.endAt).toBe(START + 2 * HOUR);
  });

  it('refuses a target that does not exist or has nothing the incident acts on', () => {
    expect(() => planIncidents(fleet, [{ kind: 'gas_leak', target: 'nope', at: START }], window)).toThrow(/no device, household or grid nope/);
    expect(() => planIncidents(fleet, [{ kind: 'smoke', target: 'wm-000001', at: START }], window)).toThrow(/has no smoke_detector/);
  });

  it('parses --incident flags: offsets, ISO times, durations and per-kind defaults', () => {
    expect(parseIncidentFlag('gas_leak:gd-000012@6h30m/45m', START)).toEqual({ kind: 'gas_leak', target: 'gd-000012', at: START + 6.5 * HOUR, durationMs: 45 * 60_000 });
    expect(parseIncidentFlag('smoke:sd-000001@2026-03-02T09:00:00+08:00', START)).toEqual({ kind: 'smoke', target: 'sd-000001', at: START + 9 * HOUR, durationMs: 30 * 60_000 });
    expect(parseIncidentFlag('meter_silent:wm-000001@1d', START)).toEqual({ kind: 'meter_silent', target: 'wm-000001', at: START + 24 * HOUR });
    expect(() => parseIncidentFlag('flood:wm-1@1h', START)).toThrow(/kind must be one of/);
    expect(() => parseIncidentFlag('gas_leak:gd-1', START)).toThrow(/kind:target@offset/);
    expect(() => parseIncidentFlag('gas_leak:gd-1@soon', START)).toThrow(/not a duration/);
  });

  it('reads a timeline file in YAML or JSON', () => {
    const yaml = 'incidents:\n  - { kind: tap_left_running, target: wm-000001, at: 8h, for: 3h }\n  - { kind: smoke, target: sd-000002, at: "2026-03-02T20:00:00+08:00" }\n';
    expect(parseTimeline(yaml, START)).toEqual([
      { kind: 'tap_left_running', target: 'wm-000001', at: START + 8 * HOUR, durationMs: 3 * HOUR },
      { kind: 'smoke', target: 'sd-000002', at: START + 20 * HOUR, durationMs: 30 * 60_000 },
    ]);
    expect(parseTimeline('[{"kind":"gas_leak","target":"gd-1","at":"1h"}]', START)).toHaveLength(1);
    expect(() => parseTimeline('[{"kind":"gas_leak","at":"1h"}]', START, 't.yaml')).toThrow(/t\.yaml: incidents\[0\]: target/);
  });

  it('chooses random incidents from the seed alone, one household each', () => {
    const a = randomIncidents(fleet, 8, window, 1);
    expect(randomIncidents(fleet, 8, window, 1)).toEqual(a);
    expect(randomIncidents(fleet, 8, window, 2)).not.toEqual(a);
    const subjects = a.filter((s) => s.kind !== 'building_gas_event').map((s) => fleet.devices.find((d) => d.id === s.target)!.subjectId);
    expect(new Set(subjects).size).toBe(subjects.length);
    for (const s of a) expect(s.at).toBeGreaterThanOrEqual(START);
  });
});
