import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RiskwatchError } from '../../../src/core/errors.js';
import { createTelemetryDecoder } from '../../../src/ingest/telemetry-decoder.js';
import { parseTelemetryJson } from '../../../src/ingest/telemetry-json.js';
import { Registry } from '../../../src/registry/registry.js';
import { fleetFromRegistry, generateCity } from '../../../simulators/fleet.js';
import { planIncidents, randomIncidents } from '../../../simulators/incidents.js';
import { Rng } from '../../../simulators/random.js';
import { simulate } from '../../../simulators/simulation.js';

const parse = (text: string): unknown => parseTelemetryJson(Buffer.from(text, 'utf8'));

/** Same value as JSON.parse, key order included (toEqual ignores order), -0 told from 0. */
function expectSameAsJsonParse(text: string): void {
  const fast = parse(text);
  expect(fast, text).not.toBeUndefined();
  const reference = JSON.parse(text) as unknown;
  expect(JSON.stringify(fast, keysInOrder)).toBe(JSON.stringify(reference, keysInOrder));
  expect(fast).toStrictEqual(reference);
}

/** JSON.stringify replacer that records key order and -0, which plain stringify hides. */
function keysInOrder(this: unknown, _key: string, value: unknown): unknown {
  if (Object.is(value, -0)) return '-0';
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { keys: Object.keys(value), ...value };
  return value;
}

describe('telemetry JSON reader: the usual payloads, read from their bytes', () => {
  it('reads every payload of a simulated city (every device type, incidents, NB-IoT batches) exactly as JSON.parse does', () => {
    const registry = new Registry(generateCity({ households: 60, seed: 3 }));
    const fleet = fleetFromRegistry(registry);
    const window = { startMs: Date.parse('2026-03-02T00:00:00+08:00'), endMs: Date.parse('2026-03-02T12:00:00+08:00') };
    const plan = planIncidents(fleet, randomIncidents(fleet, 6, window, 3), window, 3);
    const types = new Set<string>();
    let batches = 0;
    let count = 0;
    for (const batch of [false, true]) {
      for (const message of simulate({ fleet, seed: 3, ...window, effects: plan.effects, ...(batch ? { batch: { everyMs: 3_600_000 } } : {}) })) {
        const text = JSON.stringify(message.payload);
        expectSameAsJsonParse(text);
        types.add(registry.context(message.topic.slice('rw/telemetry/'.length))!.device.type);
        if (text.startsWith('{"readings"')) batches++;
        count++;
      }
    }
    expect(types).toEqual(new Set(['water_meter', 'gas_meter', 'gas_detector', 'smoke_detector', 'door_sensor']));
    expect(batches).toBeGreaterThan(0);
    expect(count).toBeGreaterThan(5_000);
  });

  it('gives numbers bit for bit as JSON.parse does, across magnitudes and decimals', () => {
    const rng = new Rng(42);
    const samples = [0, -0, 1, -1, 0.1, 0.2, 0.3, 29.9969, -98, 100, 1772380800000, 999999999999999, 123456789012.345, 0.000001, 5e-7, 1e21, 2 ** 53];
    for (let i = 0; i < 20_000; i++) {
      const decimals = rng.int(0, 9);
      const magnitude = 10 ** rng.int(-3, 12);
      samples.push(Number((rng.uniform(-1, 1) * magnitude).toFixed(decimals)));
    }
    let fast = 0;
    for (const value of samples) {
      const text = `{"metrics":{"flow_lpm":${JSON.stringify(value)}}}`;
      const read = parse(text) as { metrics: { flow_lpm: number } } | undefined;
      if (read === undefined) {
        // Only what the fast path leaves out: an exponent, or more than 15 digits (a lone leading 0 aside).
        const [whole = '', fraction = ''] = JSON.stringify(value).replace('-', '').split('.');
        expect(/e/.test(whole + fraction) || (whole === '0' ? 0 : whole.length) + fraction.length > 15, text).toBe(true);
        continue;
      }
      fast++;
      expect(Object.is(read.metrics.flow_lpm, JSON.parse(text).metrics.flow_lpm), text).toBe(true);
    }
    expect(fast).toBeGreaterThan(samples.length * 0.8); // most: the fast path is for the usual numbers
  });

  it('keeps key order and handles every envelope shape the decoder decides on', () => {
    for (const text of [
      '{"metrics":{"flow_lpm":0.5,"total_m3":12.34,"valve_open":true}}',
      '{"metrics":{"valve_open":false},"ts":1732300000000}',
      '{"ts":-5,"metrics":{}}',
      '{}',
      '{"ts":1,"metrics":{"gas_lel_pct":3},"readings":[]}',
      '{"readings":[{"ts":2,"metrics":{"flow_lpm":1}},{"metrics":{"battery_pct":88,"signal_dbm":-97}},{}]}',
      '{"readings":[]}',
    ]) expectSameAsJsonParse(text);
  });

  it('leaves everything else to JSON.parse (undefined), valid JSON or not', () => {
    for (const text of [
      '{ "metrics": {"flow_lpm": 1}}', // whitespace
      '{"metrics":{"flow_lpm":1}} ', // trailing whitespace
      '{"metrics":{"flow_lpm":1e3}}', // exponent
      '{"metrics":{"flow_lpm":1234567890123456}}', // 16 digits
      '{"metrics":{"flow_lpm":0.1234567890123456}}',
      '{"metrics":{"flow_\\u006cpm":1}}', // escaped key
      '{"metrics":{"flow_lpmx":1}}', // unknown metric
      '{"metrics":{"flow":1}}',
      '{"metrics":{"flow_lpm":1,"flow_lpm":2}}', // duplicate: JSON.parse keeps the last
      '{"ts":1,"ts":2,"metrics":{}}',
      '{"ts":"2024-11-22T10:00:00Z","metrics":{"flow_lpm":1}}', // string ts
      '{"metrics":{"flow_lpm":null}}',
      '{"metrics":{"flow_lpm":"1"}}',
      '{"metrics":{"flow_lpm":{"v":1}}}',
      '{"payload":{}}', // unknown envelope key
      '{"readings":[{"readings":[]}]}',
      '[{"metrics":{}}]',
      '{"metrics":{"valve_open":tru}}',
      '{"metrics":{"flow_lpm":01}}', // not JSON
      '{"metrics":{"flow_lpm":1.}}',
      '{"metrics":{"flow_lpm":-}}',
      '{"metrics":{"flow_lpm":.5}}',
      '{"metrics":{"flow_lpm":+1}}',
      '{"metrics":{"flow_lpm":1}',
      '{"metrics":{"flow_lpm":1}}x',
      '\ufeff{"metrics":{"flow_lpm":1}}',
      '',
    ]) expect(parse(text), text).toBeUndefined();
  });
});

describe('telemetry decoder with the byte reader: the same readings and the same rejections either way', () => {
  const registry = new Registry({
    places: [{ id: 'st', kind: 'street', name: 'S', timeZone: 'Asia/Shanghai' }, { id: 'cm', kind: 'community', name: 'C', parentId: 'st' }, { id: 'gr', kind: 'grid', name: 'G', parentId: 'cm' }],
    subjects: [{ id: 'hh', kind: 'household', placeId: 'gr' }],
    devices: [{ id: 'wm', type: 'water_meter', subjectId: 'hh' }, { id: 'gd', type: 'gas_detector', subjectId: 'hh' }],
  });
  const decoder = createTelemetryDecoder({}, registry);
  const NOW = Date.UTC(2024, 10, 22, 10);
  /** The payload as sent, and spaced out so that only JSON.parse can read it. */
  const decodeBoth = (deviceId: string, payload: object) => {
    const run = (text: string) => {
      try {
        return { readings: decoder.decode({ topic: `rw/telemetry/${deviceId}`, payload: Buffer.from(text), receivedAt: NOW }) };
      } catch (err) {
        const { code, message, details } = err as RiskwatchError;
        return { code, message, details };
      }
    };
    const compact = JSON.stringify(payload);
    expect(parseTelemetryJson(Buffer.from(compact)), compact).not.toBeUndefined();
    const spaced = JSON.stringify(payload, null, 1);
    expect(parseTelemetryJson(Buffer.from(spaced))).toBeUndefined();
    return [run(compact), run(spaced)] as const;
  };

  it('accepts valid single readings and batches identically', () => {
    for (const [id, payload] of [
      ['wm', { ts: NOW - 60_000, metrics: { flow_lpm: 0.968, total_m3: 559.1056, valve_open: true, battery_pct: 76, signal_dbm: -95 } }],
      ['gd', { metrics: { gas_lel_pct: 27.5 } }],
      ['wm', { readings: [{ ts: NOW - 1_800_000, metrics: { flow_lpm: 2 } }, { ts: NOW - 2_700_000, metrics: { flow_lpm: 0 } }] }],
    ] as const) {
      const [fast, slow] = decodeBoth(id, payload);
      expect(fast).toEqual(slow);
      expect(fast.readings?.length).toBeGreaterThan(0);
    }
  });

  it('checks metrics while reading exactly as the schema does: any payload, the same outcome as JSON.parse and ajv (property)', () => {
    const names = ['flow_lpm', 'total_m3', 'valve_open', 'battery_pct', 'signal_dbm', 'gas_lel_pct', 'co_ppm', 'door_open'];
    const value = fc.oneof(
      fc.constantFrom(0, -0, 100, 100.5, -0.001, -140, -140.5, 0.1, 1e3, 25, true, false),
      fc.integer({ min: -200, max: 200 }),
      fc.double({ min: -200, max: 200, noNaN: true }).map((v) => Math.round(v * 1000) / 1000),
    );
    const reading = fc.record(
      { ts: fc.constantFrom(NOW - 60_000, NOW - 60_000.5, NOW + 3_600_000), metrics: fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 4 }) },
      { requiredKeys: ['metrics'] },
    );
    const payload = fc.oneof(reading, fc.record({ readings: fc.array(reading, { maxLength: 3 }) }));
    fc.assert(
      fc.property(fc.constantFrom('wm', 'gd'), payload, (id, p) => {
        const [fast, slow] = decodeBoth(id, p);
        expect({ id, p, fast }).toEqual({ id, p, fast: slow });
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects schema violations with the same code, message and details', () => {
    for (const [id, payload] of [
      ['wm', { metrics: {} }], // minProperties
      ['wm', { metrics: { gas_lel_pct: 3 } }], // a metric of another type
      ['gd', { metrics: { gas_lel_pct: 101 } }], // out of range
      ['wm', { ts: -1.5, metrics: { flow_lpm: 1 } }], // not an integer
      ['wm', { ts: NOW + 3_600_000, metrics: { flow_lpm: 1 } }], // clock skew
      ['wm', { readings: [] }],
      ['wm', { readings: [{ metrics: { flow_lpm: 1 } }, { metrics: { flow_lpm: -1 } }] }],
      ['wm', { ts: 1, metrics: { flow_lpm: 1 }, readings: [{ metrics: { flow_lpm: 1 } }] }],
    ] as const) {
      const [fast, slow] = decodeBoth(id, payload);
      expect(fast.code, JSON.stringify(payload)).toMatch(/^ERR_/);
      expect(fast).toEqual(slow);
    }
  });
});
