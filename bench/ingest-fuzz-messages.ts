import fc from 'fast-check';
import { deviceTypeSpec, metricSpec, type MetricSpec } from '../src/catalogue/device-catalogue.js';
import { durationMs, type RiskwatchConfig } from '../src/core/config.js';
import type { Registry } from '../src/registry/registry.js';

/**
 * The ingest fuzzer's messages (tests/property/ingest-fuzz.test.ts, bench/ingest-fuzz.ts): what a
 * careless installer, a buggy firmware, a flaky radio link or a hostile client could send, as
 * fast-check arbitraries — so a failing message shrinks to a small one, and a seed replays a run.
 *
 * Most messages start from a valid reading of a real device and are then broken a little (a byte
 * flipped, cut, duplicated; a value of the wrong type; a time out of bounds; `__proto__` keys), so
 * they reach the deep parts of the decoder — the byte reader, the schema, the clock check — rather
 * than bouncing off the first `{`. The rest are random bytes, random JSON, and topics of every kind:
 * bad ones under the prefix, status reports, the engine's own output shapes, other prefixes.
 */
export interface FuzzMessage {
  topic: string;
  payload: Buffer;
}

export interface FuzzDevice {
  id: string;
  /** The metrics its device type may report (catalogue order). */
  metrics: readonly MetricSpec[];
}

export interface FuzzWorld {
  prefix: string;
  /** The engine clock while the fuzzer runs (a fixed virtual time, so a seed replays exactly). */
  now: number;
  devices: readonly FuzzDevice[];
  /** `ingest.maxPayloadBytes`: some payloads are made just over it. */
  maxPayloadBytes: number;
  /** `ingest.maxBatchReadings`: some batches are made just over it. */
  maxBatchReadings: number;
  /** `ingest.maxFutureSkew` / `ingest.maxReadingAge` in ms: valid times stay inside, broken ones just outside. */
  maxFutureSkewMs: number;
  maxReadingAgeMs: number;
}

/** The world of an engine built from `config` with `registry`, its clock standing at `now`. */
export function fuzzWorld(config: RiskwatchConfig, registry: Registry, now: number): FuzzWorld {
  return {
    prefix: config.mqtt.topicPrefix,
    now,
    // The registry's devices with their types' metrics from the device catalogue.
    devices: registry.devices().map((device) => ({ id: device.id, metrics: (deviceTypeSpec(device.type)?.metrics ?? []).map((name) => metricSpec(name)!) })),
    maxPayloadBytes: config.ingest.maxPayloadBytes,
    maxBatchReadings: config.ingest.maxBatchReadings,
    maxFutureSkewMs: durationMs(config.ingest.maxFutureSkew),
    maxReadingAgeMs: durationMs(config.ingest.maxReadingAge),
  };
}

const LEVELS = ['blue', 'yellow', 'orange', 'red'];
const TIERS = ['grid', 'community', 'street'];
const REASONS = ['bad_topic', 'too_large', 'malformed', 'schema', 'unknown_device', 'clock_skew', 'internal'];

/** One topic level: plain ids mostly, sometimes any text (MQTT topic names are UTF-8 strings). */
const level = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z0-9-]{1,12}$/), weight: 4 },
  { arbitrary: fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }).filter((s) => !s.includes('/')), weight: 1 },
);

/** Characters that mean something to MQTT, JSON or percent-encoding, for topic and byte mutations. */
const SPECIAL_CHARS = ['/', '+', '#', '%', '%2F', '\u0000', ' ', '$', '\uFFFD', '独', '\uD800'];
const SPECIAL_BYTES = [...'{}[]",:.-+eE0123456789 \\u'].map((c) => c.charCodeAt(0)).concat([0x00, 0x80, 0xc3, 0xe4, 0xef, 0xbb, 0xbf, 0xff]);

/** A reading's `ts`: epoch ms or RFC 3339 inside the clock bounds, or absent (the ingest time is used). */
function validTs(world: FuzzWorld): fc.Arbitrary<number | string | undefined> {
  const epoch = fc.integer({ min: world.now - world.maxReadingAgeMs + 60_000, max: world.now + world.maxFutureSkewMs - 60_000 });
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 2 },
    { arbitrary: epoch, weight: 3 },
    { arbitrary: epoch.map((ms) => new Date(ms).toISOString()), weight: 1 },
    { arbitrary: epoch.map((ms) => new Date(ms + 8 * 3_600_000).toISOString().replace('Z', '+08:00')), weight: 1 },
  );
}

function metricValue(metric: MetricSpec): fc.Arbitrary<number | boolean> {
  if (metric.type === 'boolean') return fc.boolean();
  const min = metric.minimum ?? -1e6;
  const max = metric.maximum ?? 1e6;
  return fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
}

interface ReadingJson {
  ts?: number | string;
  metrics: Record<string, number | boolean>;
}

/** One valid reading of `device`: a non-empty subset of its metrics, each within its range. */
function validReading(world: FuzzWorld, device: FuzzDevice): fc.Arbitrary<ReadingJson> {
  const metrics = fc
    .subarray([...device.metrics], { minLength: 1 })
    .chain((chosen) => fc.tuple(...chosen.map((m) => metricValue(m).map((v) => [m.name, v] as const))))
    .map((pairs) => Object.fromEntries(pairs));
  return fc.tuple(validTs(world), metrics).map(([ts, m]) => (ts === undefined ? { metrics: m } : { ts, metrics: m }));
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** A whole valid message body: a single reading or a batch. */
function validBody(world: FuzzWorld, device: FuzzDevice): fc.Arbitrary<unknown> {
  const reading = validReading(world, device);
  return fc.oneof(
    { arbitrary: reading, weight: 4 },
    { arbitrary: fc.array(reading, { minLength: 1, maxLength: 8 }).map((readings) => ({ readings })), weight: 1 },
  );
}

/** Byte-level damage, one to four edits: what a flaky link or a firmware bug does to JSON. */
function mutateBytes(bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  const edit = fc.tuple(fc.nat(4), fc.nat(), fc.nat(), fc.constantFrom(...SPECIAL_BYTES), fc.uint8Array({ minLength: 1, maxLength: 8 }));
  return fc.tuple(bytes, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([original, edits]) => {
    let b = Buffer.from(original);
    for (const [kind, at, span, special, random] of edits) {
      const i = b.length === 0 ? 0 : at % b.length;
      const n = 1 + (span % 16);
      switch (kind) {
        case 0: // flip a byte
          if (b.length > 0) b[i] = b[i]! ^ (1 + (span % 255));
          break;
        case 1: // a byte becomes one that means something to JSON or UTF-8
          if (b.length > 0) b[i] = special;
          break;
        case 2: // cut a range out, or the tail off
          b = span % 3 === 0 ? b.subarray(0, i) : Buffer.concat([b.subarray(0, i), b.subarray(i + n)]);
          break;
        case 3: // random bytes in
          b = Buffer.concat([b.subarray(0, i), Buffer.from(random), b.subarray(i)]);
          break;
        default: // a range twice
          b = Buffer.concat([b.subarray(0, i + n), b.subarray(i)]);
      }
    }
    return b;
  });
}

/** Shape-level damage to a valid reading: wrong types, unknown keys, times out of bounds, prototype keys, limits. */
function mutateShape(world: FuzzWorld, device: FuzzDevice): fc.Arbitrary<Buffer> {
  const reading = validReading(world, device);
  const anyName = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ''), level);
  const farTime = fc.oneof(
    fc.constantFrom(world.now + world.maxFutureSkewMs + 1, world.now - world.maxReadingAgeMs - 1, 0, -1, 1e21, Number.MAX_SAFE_INTEGER + 2),
    fc.double({ noNaN: true }),
    fc.constantFrom('2026-13-40T25:61:61Z', '2026-03-02', 'now', '', '1732300000000', '9999-12-31T23:59:59.999999999+14:00'),
  );
  const rawNumbers = fc.constantFrom('1e400', '-0', '01', '+1', 'NaN', 'Infinity', '-1e-400', '0x10', '1.', '.5', '1e', '1_000', 'true ', 'nul', '"\\ud800"');
  return fc.oneof(
    // a metric value of any JSON type
    fc.tuple(reading, fc.jsonValue()).map(([r, v]) => {
      const names = Object.keys(r.metrics);
      return json({ ...r, metrics: { ...r.metrics, [names[0]!]: v } });
    }),
    // an unknown metric, or a key that means something to JavaScript objects
    fc.tuple(reading, anyName, fc.jsonValue()).map(([r, name, v]) => Buffer.from(JSON.stringify(r).replace('"metrics":{', `"metrics":{${JSON.stringify(name)}:${JSON.stringify(v) ?? 'null'},`))),
    fc.tuple(reading, anyName, fc.jsonValue()).map(([r, name, v]) => Buffer.from(`{${JSON.stringify(name)}:${JSON.stringify(v) ?? 'null'},${JSON.stringify(r).slice(1)}`)),
    // a time out of bounds or of the wrong kind
    fc.tuple(reading, farTime).map(([r, ts]) => json({ ...r, ts })),
    // a number JSON does not have, written where a metric value goes
    fc.tuple(reading, rawNumbers).map(([r, raw]) => Buffer.from(JSON.stringify(r).replace(/:(-?\d[\d.eE+-]*|true|false)([,}])/, `:${raw}$2`))),
    // the same key twice
    reading.map((r) => Buffer.from(`{"metrics":{},${JSON.stringify(r).slice(1)}`)),
    // the wrong container
    fc.tuple(reading, fc.jsonValue()).map(([r, v]) => json({ ...r, metrics: v })),
    fc.tuple(fc.array(reading, { maxLength: 3 }), fc.jsonValue()).map(([rs, v]) => json(rs.length === 0 ? { readings: v } : { readings: [...rs, v] })),
    reading.map((r) => json([r])),
    reading.map((r) => json({ readings: [], ...r })),
    // limits: a batch just over the reading limit, a payload just over the byte limit, deep nesting
    reading.map((r) => json({ readings: Array.from({ length: world.maxBatchReadings + 1 }, () => r) })),
    fc.nat(64).map((extra) => Buffer.alloc(world.maxPayloadBytes + 1 + extra, 0x20)),
    fc.integer({ min: 100, max: 20_000 }).map((depth) => Buffer.from(`{"metrics":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
    // a byte-order mark or control bytes before valid JSON
    reading.map((r) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(r)])),
  );
}

/** Anything at all: random bytes, random JSON, random text, nothing. */
const randomPayload: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.json().map((s) => Buffer.from(s)),
  fc.string({ unit: 'binary', maxLength: 100 }).map((s) => Buffer.from(s)),
  fc.constant(Buffer.alloc(0)),
);

/** A payload for `device`'s telemetry topic: valid, broken a little, or anything. */
function payloadFor(world: FuzzWorld, device: FuzzDevice): fc.Arbitrary<Buffer> {
  const valid = validBody(world, device).map(json);
  return fc.oneof(
    { arbitrary: valid, weight: 4 },
    { arbitrary: mutateBytes(valid), weight: 3 },
    { arbitrary: mutateShape(world, device), weight: 3 },
    { arbitrary: randomPayload, weight: 1 },
  );
}

/** Topics that are not a known device's telemetry topic: every kind the engine must tell apart. */
function otherTopic(world: FuzzWorld, deviceIds: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const p = world.prefix;
  const telemetryOf = (id: string) => `${p}/telemetry/${id}`;
  return fc.oneof(
    // telemetry of a device the registry does not know
    level.map(telemetryOf),
    // the mistakes of issue 10 and their kin: extra levels, empty levels, a near-miss tree, no tree
    fc.constantFrom(`${p}/telemetry/a/b`, `${p}/telemetry/`, `${p}/telemetry`, `${p}/`, `${p}/foo`, `${p}//telemetry/x`, `${p}/Telemetry/x`),
    fc.tuple(deviceIds, level).map(([id, extra]) => `${telemetryOf(id)}/${extra}`),
    fc.tuple(fc.constantFrom('telemetryx', 'telemetr', 'tele', 'alerts', 'orders', 'deadletter', 'status'), deviceIds).map(([tree, id]) => `${p}/${tree}/${id}`),
    fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => `${p}/${levels.join('/')}`),
    // dispatch systems' status reports, right and wrong
    level.map((id) => `${p}/orders/${id}/status`),
    fc.tuple(level, level).map(([a, b]) => `${p}/orders/${a}/${b}/status`),
    // what the engine itself publishes (comes back through the input subscription)
    fc.tuple(fc.constantFrom(...LEVELS), level).map(([l, id]) => `${p}/alerts/${l}/${id}`),
    fc.tuple(fc.constantFrom(...TIERS), level).map(([t, id]) => `${p}/orders/${t}/${id}`),
    level.map((id) => `${p}/orders/${id}/overdue`),
    fc.constantFrom(...REASONS).map((r) => `${p}/deadletter/${r}`),
    // other prefixes, other applications
    deviceIds.map((id) => `other/telemetry/${id}`),
    deviceIds.map((id) => `${p}x/telemetry/${id}`),
    fc.string({ maxLength: 40, unit: 'grapheme' }),
    // a known device's topic with one character changed, added or removed
    fc.tuple(deviceIds, fc.nat(), fc.constantFrom(...SPECIAL_CHARS), fc.nat(2)).map(([id, at, ch, kind]) => {
      const topic = telemetryOf(id);
      const i = at % (topic.length + 1);
      if (kind === 0) return topic.slice(0, i) + ch + topic.slice(i);
      if (kind === 1) return topic.slice(0, i) + topic.slice(i + 1);
      return topic.slice(0, i) + ch + topic.slice(i + 1);
    }),
  );
}

/** A valid message only: a known device's telemetry with a valid single reading or batch (the benchmark's baseline). */
export function validTelemetryMessage(world: FuzzWorld): fc.Arbitrary<FuzzMessage> {
  return fc
    .constantFrom(...world.devices)
    .chain((device) => validBody(world, device).map((body) => ({ topic: `${world.prefix}/telemetry/${device.id}`, payload: json(body) })));
}

/**
 * One fuzzed message. About half go to a known device's telemetry topic with a payload made for its
 * type (valid, damaged or random); the rest pair any topic with any payload.
 */
export function fuzzMessage(world: FuzzWorld): fc.Arbitrary<FuzzMessage> {
  const devices = fc.constantFrom(...world.devices);
  const deviceIds = devices.map((d) => d.id);
  const known = devices.chain((device) => payloadFor(world, device).map((payload) => ({ topic: `${world.prefix}/telemetry/${device.id}`, payload })));
  const other = fc
    .tuple(otherTopic(world, deviceIds), devices.chain((device) => payloadFor(world, device)))
    .map(([topic, payload]) => ({ topic, payload }));
  return fc.oneof({ arbitrary: known, weight: 5 }, { arbitrary: other, weight: 4 });
}
