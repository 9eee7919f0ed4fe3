import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadDeviceCatalogueFile, parseDeviceCatalogue } from '../../../src/catalogue/catalogue-file.js';
import { deviceCatalogueSchema } from '../../../src/catalogue/catalogue-schema.js';
import {
  activityCondition,
  deviceCatalogue,
  deviceTypeNames,
  deviceTypeSpec,
  findCatalogueFile,
  isDeviceType,
  metricsSchemaOf,
  metricSpec,
} from '../../../src/catalogue/device-catalogue.js';
import type { RiskwatchError } from '../../../src/core/errors.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const SHIPPED = 'catalogue/device-types.yaml';
const shippedText = readFileSync(SHIPPED, 'utf8');

function rejection(fn: () => unknown): RiskwatchError {
  try {
    fn();
  } catch (err) {
    return err as RiskwatchError;
  }
  throw new Error('expected an error');
}

/** 1-based line of the first line containing `fragment`. */
function lineWith(text: string, fragment: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(fragment));
  if (index < 0) throw new Error(`no line contains ${fragment}`);
  return index + 1;
}

/** The shipped text with one exact fragment replaced (it must occur once). */
function broken(from: string, to: string): string {
  expect(shippedText.split(from)).toHaveLength(2);
  return shippedText.replace(from, to);
}

describe('the shipped device catalogue', () => {
  const catalogue = deviceCatalogue();

  it('is found by walking up from the module and declares the five original types and the two new ones', () => {
    expect(findCatalogueFile()).toBe(join(process.cwd(), SHIPPED));
    expect(deviceTypeNames()).toEqual(['water_meter', 'gas_meter', 'gas_detector', 'smoke_detector', 'door_sensor', 'electricity_meter', 'fall_detector']);
    expect(isDeviceType('fall_detector')).toBe(true);
    expect(isDeviceType('water_metre')).toBe(false);
    expect(isDeviceType('toString')).toBe(false);
  });

  it('declares every metric a type reports, with zh/en labels, and words for every boolean', () => {
    for (const type of catalogue.types.values()) {
      for (const name of type.metrics) {
        const metric = metricSpec(name);
        expect(metric, `${type.name}: ${name}`).toBeDefined();
        expect(metric!.label.zh.length * metric!.label.en.length).toBeGreaterThan(0);
        if (metric!.type === 'boolean') expect(metric!.states, name).toBeDefined();
        else expect(metric!.states, name).toBeUndefined();
      }
      expect(type.label.zh.length * type.label.en.length).toBeGreaterThan(0);
    }
    // Every declared metric is reported by some type: none is left over from a removed type.
    const used = new Set([...catalogue.types.values()].flatMap((t) => t.metrics));
    expect([...catalogue.metrics.keys()].filter((m) => !used.has(m))).toEqual([]);
  });

  it('keeps the original types as they were: intervals, batching, event reporting, activity, ranges', () => {
    const timing = Object.fromEntries(['water_meter', 'gas_meter', 'gas_detector', 'smoke_detector', 'door_sensor']
      .map((t) => [t, [deviceTypeSpec(t)!.reportEvery, deviceTypeSpec(t)!.batches, deviceTypeSpec(t)!.reportsOnEvent]]));
    expect(timing).toEqual({
      water_meter: ['15m', true, false], gas_meter: ['1h', true, false], gas_detector: ['5m', false, true],
      smoke_detector: ['30m', false, true], door_sensor: ['1h', false, true],
    });
    expect(activityCondition('water_meter')).toBe('metrics.flow_lpm > 0.1');
    expect(activityCondition('door_sensor')).toBe('metrics.door_open == true');
    expect(activityCondition('smoke_detector')).toBeUndefined();
    expect(deviceTypeSpec('water_meter')!.activity!.noun).toEqual({ zh: '用水', en: 'water use' });
    expect(metricsSchemaOf('water_meter')).toMatchObject({
      type: 'object', additionalProperties: false, minProperties: 1,
      properties: {
        flow_lpm: { type: 'number', minimum: 0 }, total_m3: { type: 'number', minimum: 0 }, valve_open: { type: 'boolean' },
        battery_pct: { type: 'number', minimum: 0, maximum: 100 }, signal_dbm: { type: 'number', minimum: -140, maximum: 0 },
      },
    });
    expect(Object.keys(metricsSchemaOf('water_meter').properties)).toEqual(['flow_lpm', 'total_m3', 'valve_open', 'battery_pct', 'signal_dbm']);
  });

  it('describes the two new types by data alone', () => {
    const meter = deviceTypeSpec('electricity_meter')!;
    expect(meter).toMatchObject({ reportEveryMs: 15 * 60_000, batches: true, reportsOnEvent: false, activity: { metric: 'power_w', above: 100, noun: { zh: '用电', en: 'power use' } } });
    const wearable = deviceTypeSpec('fall_detector')!;
    expect(wearable).toMatchObject({ reportsOnEvent: true, batches: false });
    expect(wearable.metrics).toEqual(expect.arrayContaining(['fall_detected', 'sos_pressed', 'resident_ok', 'heart_rate_bpm', 'worn', 'battery_pct', 'signal_dbm']));
    expect(wearable.simulation.alarm!.reportEveryMs).toBe(60_000);
    // A heartbeat never carries the wearer's answer: only the wearer sends it.
    expect(wearable.simulation.normal.map(([m]) => m)).not.toContain('resident_ok');
    expect(metricSpec('resident_ok')!.states!.true).toEqual({ zh: '平安', en: 'confirmed fine' });
  });

  it('is published unchanged in schemas/device-catalogue.schema.json, and the schema holds the file on its own', () => {
    const published: unknown = JSON.parse(readFileSync('schemas/device-catalogue.schema.json', 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(deviceCatalogueSchema)));
    const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(published as object);
    expect(validate(parse(shippedText))).toBe(true);
  });

  it('holds no personal data: no phone numbers, ID numbers or names of residents', () => {
    expect(shippedText).not.toMatch(/\+86|\b1[3-9]\d{9}\b|\b\d{17}[\dXx]\b|虚构/);
  });
});

describe('a broken catalogue is a coded error naming file, line and field', () => {
  const dir = useTempDir('rw-catalogue-');

  function load(text: string): RiskwatchError {
    const file = join(dir(), 'device-types.yaml');
    writeFileSync(file, text);
    return rejection(() => loadDeviceCatalogueFile(file));
  }

  it('a type lists a metric that is not declared', () => {
    const text = broken('metrics: [power_w, total_kwh, supply_on, signal_dbm]', 'metrics: [power_w, total_kwh, supply_on, signal_dbm, voltage_v]');
    const err = load(text);
    expect(err.code).toBe('ERR_CATALOGUE_INVALID');
    expect(err.details).toMatchObject({ line: lineWith(text, 'voltage_v'), field: 'types.electricity_meter.metrics[4]' });
    expect(String(err.details!.file)).toMatch(/device-types\.yaml$/);
    expect(err.message).toContain('metric "voltage_v" is not declared under metrics');
    expect(err.message).toContain(`types.electricity_meter.metrics[4] (line ${lineWith(text, 'voltage_v')})`);
  });

  it('a misspelt field, with a suggestion', () => {
    const text = broken('    reportEvery: 30m\n    batches: false\n    reportsOnEvent: true\n    simulation:\n      normal:\n        fall_detected',
      '    reportEvrey: 30m\n    batches: false\n    reportsOnEvent: true\n    simulation:\n      normal:\n        fall_detected');
    const err = load(text);
    expect(err.details).toMatchObject({ line: lineWith(text, 'reportEvrey'), field: 'types.fall_detector.reportEvrey' });
    expect(err.message).toContain('unknown field "reportEvrey" (did you mean "reportEvery"?)');
    expect(err.details!.errors).toHaveLength(1); // not also "missing reportEvery"

  });

  it('a value of the wrong type', () => {
    const text = broken('    batches: true\n    reportsOnEvent: false\n    # Standby', '    batches: yes\n    reportsOnEvent: false\n    # Standby');
    const err = load(text);
    expect(err.details).toMatchObject({ line: lineWith(text, 'batches: yes'), field: 'types.electricity_meter.batches' });
    expect(err.message).toContain('must be a boolean, not the string "yes"');
  });

  it('a generator that does not fit its metric', () => {
    const text = broken('        worn: { chance: 0.95 }', '        worn: { between: [0, 1] }');
    const err = load(text);
    expect(err.details).toMatchObject({ line: lineWith(text, 'worn: { between'), field: 'types.fall_detector.simulation.normal.worn' });
    expect(err.message).toContain('worn is a boolean');
  });

  it('a simulation whose ordinary readings would show the declared activity', () => {
    const text = broken('        power_w: { between: [15, 85], decimals: 1 }', '        power_w: { between: [15, 185], decimals: 1 }');
    const err = load(text);
    expect(err.details).toMatchObject({ line: lineWith(text, 'between: [15, 185]'), field: 'types.electricity_meter.simulation.normal.power_w' });
    expect(err.message).toContain('must not show the activity (power_w above 100)');
  });

  it('a boolean metric without its words', () => {
    const text = broken('    states: { true: { zh: 已按下, en: pressed }, false: { zh: 未按下, en: not pressed } }\n', '');
    const err = load(text);
    expect(err.details).toMatchObject({ line: lineWith(text, '  sos_pressed:'), field: 'metrics.sos_pressed' });
    expect(err.message).toContain('a boolean needs states');
  });

  it('a YAML syntax error', () => {
    const text = broken('    label: { zh: 智能电表, en: smart electricity meter }', '    label: { zh: 智能电表, en: smart electricity meter');
    const err = load(text);
    expect(err.code).toBe('ERR_CATALOGUE_INVALID');
    expect(err.details!.line).toBeGreaterThanOrEqual(lineWith(text, 'en: smart electricity meter'));
  });

  it('a missing file, and a folder tree without one', () => {
    expect(rejection(() => loadDeviceCatalogueFile(join(dir(), 'absent.yaml')))).toMatchObject({ code: 'ERR_CATALOGUE_INVALID', details: { line: 1 } });
    const deep = join(dir(), 'dist', 'src', 'catalogue');
    mkdirSync(deep, { recursive: true });
    // From a build folder the walk finds the package's copy; with none above, a coded error.
    mkdirSync(join(dir(), 'catalogue'));
    writeFileSync(join(dir(), 'catalogue', 'device-types.yaml'), shippedText);
    expect(findCatalogueFile(deep)).toBe(join(dir(), 'catalogue', 'device-types.yaml'));
    expect(rejection(() => findCatalogueFile('/'))).toMatchObject({ code: 'ERR_CATALOGUE_INVALID' });
  });

  it('parses the shipped text under another name to the same catalogue', () => {
    const copy = parseDeviceCatalogue(shippedText, 'copy.yaml');
    expect(copy.file).toBe('copy.yaml');
    expect(copy.typeNames).toEqual(deviceTypeNames());
    expect([...copy.metrics.values()]).toEqual([...deviceCatalogue().metrics.values()]);
  });
});
