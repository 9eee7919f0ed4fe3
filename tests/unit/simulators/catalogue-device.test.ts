import { describe, expect, it } from 'vitest';
import { deviceTypeNames, deviceTypeSpec } from '../../../src/catalogue/device-catalogue.js';
import { PAYLOAD_VALIDATORS } from '../../../src/ingest/device-schemas.js';
import { quietMetrics } from '../../../bench/fleet-feed.js';
import { catalogueDeviceModel } from '../../../simulators/devices/catalogue-device.js';
import { CatalogueReadings } from '../../../simulators/devices/catalogue-readings.js';
import type { DeviceEffect, DeviceProfile, SimMetrics } from '../../../simulators/devices/device-model.js';
import { deviceModel } from '../../../simulators/devices/index.js';
import { waterMeter } from '../../../simulators/devices/water-meter.js';
import { localTime } from '../../../simulators/local-time.js';
import { streamFor } from '../../../simulators/random.js';

const MONDAY = Date.parse('2026-03-02T00:00:00+08:00');
const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;

function profile(id: string, type: string): DeviceProfile {
  return { id, type, subjectId: 'hh-1', placeId: 'gr-1', timeZone: TZ, householdSize: 1, livingAlone: true, age: 80, building: 'gr-1/1' };
}

/** A device's readings from `startMs` for `hours`, at the intervals its model asks for. */
function run(type: string, id: string, hours: number, effect?: DeviceEffect): Array<{ ts: number; metrics: SimMetrics }> {
  const model = catalogueDeviceModel(type);
  const p = profile(id, type);
  const rng = streamFor(1, id);
  const state = model.init(p, rng, MONDAY);
  const out: Array<{ ts: number; metrics: SimMetrics }> = [];
  for (let last = MONDAY, t = MONDAY + model.reportEveryMs; t < MONDAY + hours * HOUR; last = t, t = model.nextDueAt(state, t, effect)) {
    out.push({ ts: t, metrics: model.next(state, p, last, t, rng, effect)! });
  }
  return out;
}

describe('the generic catalogue-driven device model', () => {
  it('is used for every catalogue type without a hand-written model, and only for those', () => {
    expect(deviceModel('water_meter')).toBe(waterMeter);
    for (const type of ['electricity_meter', 'fall_detector']) {
      const model = deviceModel(type);
      expect(model.type).toBe(type);
      expect(model).toBe(deviceModel(type)); // made once per type
      expect(model.reportEveryMs).toBe(deviceTypeSpec(type)!.reportEveryMs);
      expect(model.reportsOnEvent).toBe(deviceTypeSpec(type)!.reportsOnEvent);
    }
    // The hand-written models take their reporting from the catalogue too.
    expect(waterMeter.reportEveryMs).toBe(deviceTypeSpec('water_meter')!.reportEveryMs);
    expect(() => deviceModel('water_metre')).toThrow(/not in the device catalogue/);
  });

  it('makes readings every type\'s payload schema accepts, for every mode', () => {
    for (const type of deviceTypeNames()) {
      const readings = CatalogueReadings.of(type);
      for (let i = 0; i < 200; i++) {
        const rng = streamFor(i, type);
        const state = readings.init(rng);
        for (const mode of ['normal', 'active', 'alarm'] as const) {
          const reading = { ts: MONDAY, metrics: readings.reading(state, mode, readings.spec.reportEveryMs, rng) };
          expect(PAYLOAD_VALIDATORS[type]!.reading(reading), `${type} ${mode} ${JSON.stringify(reading)}`).toBe(true);
        }
      }
      expect(PAYLOAD_VALIDATORS[type]!.reading({ metrics: quietMetrics(type, 7) }), type).toBe(true);
    }
  });

  it('shows an electricity meter\'s power use only within its hours, and keeps its register rising', () => {
    const readings = run('electricity_meter', 'em-1', 48);
    expect(readings).toHaveLength(48 * 4 - 1);
    const used = readings.filter((r) => (r.metrics.power_w as number) > 100);
    expect(used.length / readings.length).toBeGreaterThan(0.2);
    for (const r of used) {
      const { hour } = localTime(TZ, r.ts);
      expect(hour >= 6.5 && hour < 22.5, new Date(r.ts).toISOString()).toBe(true);
    }
    for (let i = 1; i < readings.length; i++) expect(readings[i]!.metrics.total_kwh as number).toBeGreaterThanOrEqual(readings[i - 1]!.metrics.total_kwh as number);
    // Use many times a day: even across the night, far from elderly-no-power-use's 12 h of daytime.
    const gaps = used.slice(1).map((r, i) => r.ts - used[i]!.ts);
    expect(Math.max(...gaps)).toBeLessThan(10 * HOUR);
  });

  it('reports the catalogue\'s alarm at the alarm interval while an incident lasts, then heartbeats again', () => {
    const effect: DeviceEffect = { kind: 'smoke', startAt: MONDAY + 2 * HOUR, endAt: MONDAY + 2 * HOUR + 10 * 60_000 };
    const readings = run('fall_detector', 'fd-1', 4, effect);
    const alarms = readings.filter((r) => r.metrics.fall_detected === true);
    expect(alarms.length).toBeGreaterThanOrEqual(9);
    for (let i = 1; i < alarms.length; i++) expect(alarms[i]!.ts - alarms[i - 1]!.ts).toBe(60_000);
    expect(alarms.every((r) => r.ts >= effect.startAt && r.ts < effect.endAt!)).toBe(true);
    const after = readings.filter((r) => r.ts >= effect.endAt!);
    expect(after.length).toBeGreaterThan(0);
    for (let i = 1; i < after.length; i++) expect(after[i]!.ts - after[i - 1]!.ts).toBe(30 * 60_000);
    expect(readings.some((r) => 'resident_ok' in r.metrics)).toBe(false);
    // A silent device is not an alarm: the simulation drops what it would send.
    expect(run('fall_detector', 'fd-1', 4, { kind: 'meter_silent', startAt: MONDAY }).some((r) => r.metrics.fall_detected === true)).toBe(false);
  });

  it('is reproducible: the same stream gives the same readings', () => {
    expect(run('fall_detector', 'fd-9', 24)).toEqual(run('fall_detector', 'fd-9', 24));
    expect(run('electricity_meter', 'em-9', 24)).not.toEqual(run('electricity_meter', 'em-8', 24));
  });
});
