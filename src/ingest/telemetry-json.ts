import { METRIC_SCHEMAS } from './device-schemas.js';

/**
 * A JSON reader for the payloads devices actually send — `{"ts":…,"metrics":{…}}` or
 * `{"readings":[…]}` as compact JSON, numeric `ts`, numeric or boolean metrics with known names —
 * read straight from the payload's bytes. It returns exactly what `JSON.parse` would (same keys in
 * the same order, the same numbers), or `undefined` for anything outside that subset, which the
 * decoder then parses with `JSON.parse` as before; either way the same compiled ajv validator
 * checks the result, so what is accepted and every error message stay the same.
 *
 * Why: `payload.toString()` plus `JSON.parse` was the largest cost of decoding (a string copy, and
 * every key looked up in V8's string table); reading bytes and using the schema's own key strings
 * more than halves it. Numbers are taken only where the result is provably identical to
 * `JSON.parse`: at most 15 digits and no exponent, so the digits form an exact integer below 2^53
 * and one division by an exact power of ten is correctly rounded (Clinger's fast path), as V8's
 * parser is. Anything else — an exponent, long digits, escapes, whitespace, a string `ts`, an
 * unknown key, a duplicate key — falls back.
 *
 * Given the device type's `MetricRules`, the reader also checks each metric against the type's
 * schema as it reads it (a metric of the type, of its JSON type, within its range) and says so
 * (`readWithinRules`), so the decoder can skip the ajv validator for a payload that provably passes
 * it. The check only ever says "certainly valid": anything it does not vouch for — a failing value,
 * an empty `metrics`, a shape it does not cover — is left to ajv, which decides and words the error.
 */

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_T = 0x74;
const LOWER_F = 0x66;

/** Digits (a lone leading zero aside) whose running `m * 10 + d` stays an exact integer (10^15 < 2^53). */
const MAX_DIGITS = 15;
const POWERS_OF_TEN = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

interface KnownKey {
  name: string;
  bytes: Uint8Array;
  /** Position in the table's list of names (for metrics: in METRIC_NAMES, the index into `MetricRules`). */
  index: number;
  /** Bit in a seen-mask: a key repeated in one object falls back (JSON.parse keeps the last value). */
  bit: number;
}

/**
 * Keys by their first byte, each a short list (one or two names): the key is then compared byte by
 * byte in the same pass that finds its end. Metric names of every device type, and the envelope's keys.
 */
function keyTable(names: readonly string[]): KnownKey[][] {
  const table: KnownKey[][] = Array.from({ length: 128 }, () => []);
  names.forEach((name, i) => {
    // A catalogue may declare more than 31 metrics: past 31, keys share bits. Two different keys
    // on one bit then look like a repeat and the payload falls back to JSON.parse — slower for
    // that rare payload, never wrong.
    table[name.charCodeAt(0)]!.push({ name, bytes: Buffer.from(name, 'latin1'), index: i, bit: 1 << (i % 31) });
  });
  return table;
}

/** Every metric name of every device type, once. */
const METRIC_NAMES = [...new Set(Object.values(METRIC_SCHEMAS).flatMap((schema) => Object.keys(schema.properties)))];
const METRIC_KEYS = keyTable(METRIC_NAMES);

/** `MetricRules.kinds`: how a metric's value is checked; OTHER leaves the payload to ajv. */
const OTHER = 0;
const NUMBER_RULE = 1;
const BOOLEAN_RULE = 2;

/**
 * One device type's metrics schema as the reader checks it, by metric index (METRIC_NAMES): the
 * JSON type each metric must have (OTHER: not a metric of the type), and the inclusive range of a
 * number (JSON Schema `minimum` / `maximum`, the only bounds the catalogue gives).
 */
export interface MetricRules {
  readonly kinds: Uint8Array;
  readonly minimum: Float64Array;
  readonly maximum: Float64Array;
}

function metricRules(schema: (typeof METRIC_SCHEMAS)[string]): MetricRules {
  const kinds = new Uint8Array(METRIC_NAMES.length).fill(OTHER);
  const minimum = new Float64Array(METRIC_NAMES.length).fill(-Infinity);
  const maximum = new Float64Array(METRIC_NAMES.length).fill(Infinity);
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  METRIC_NAMES.forEach((name, i) => {
    const property = properties[name];
    if (property === undefined) return;
    // A keyword the reader does not check makes the metric OTHER: such payloads always go to ajv.
    const keywords = Object.keys(property).filter((k) => k !== 'type' && k !== 'minimum' && k !== 'maximum' && k !== 'description');
    if (keywords.length > 0) return;
    if (property.type === 'boolean') kinds[i] = BOOLEAN_RULE;
    else if (property.type === 'number') {
      kinds[i] = NUMBER_RULE;
      if (typeof property.minimum === 'number') minimum[i] = property.minimum;
      if (typeof property.maximum === 'number') maximum[i] = property.maximum;
    }
  });
  return { kinds, minimum, maximum };
}

/** The rules of every device type, by type. */
export const METRIC_RULES: Readonly<Record<string, MetricRules>> = Object.freeze(
  Object.fromEntries(Object.entries(METRIC_SCHEMAS).map(([type, schema]) => [type, metricRules(schema)])),
);
const TS = 'ts';
const METRICS = 'metrics';
const READINGS = 'readings';
const READING_KEYS = keyTable([TS, METRICS]);
const ENVELOPE_KEYS = keyTable([TS, METRICS, READINGS]);

/**
 * Where the reader is in the payload. Parsing is synchronous and never re-entered, so one cursor
 * serves all. `bytes` only ever holds Buffers (an empty one between calls), so its element loads
 * stay monomorphic.
 */
const EMPTY = Buffer.alloc(0);
let pos = 0;
let bytes: Uint8Array = EMPTY;
/** Bit and index of the key `readKey` matched last. */
let keyBit = 0;
let keyIndex = 0;
/** The rules of this parse (undefined: none given), and whether every metric read so far kept them. */
let rules: MetricRules | undefined;
let withinRules = false;

/**
 * The payload (`payload[from, to)`, by default all of it) as `JSON.parse` of its text would return
 * it, or undefined when it is outside the subset read here (then `JSON.parse` decides, including
 * whether it is JSON at all).
 */
export function parseTelemetryJson(payload: Buffer, metricRules?: MetricRules, from = 0, to = payload.length): unknown {
  bytes = payload;
  pos = from;
  rules = metricRules;
  withinRules = metricRules !== undefined;
  const value = readEnvelope();
  // Ending exactly at `to` means every byte read was the payload's: a read past its end (the
  // reader looks ahead at most a few bytes) leaves `pos` beyond it, and JSON.parse decides.
  const complete = value !== undefined && pos === to;
  bytes = EMPTY; // do not keep the last payload alive
  rules = undefined;
  if (!complete) withinRules = false;
  return complete ? value : undefined;
}

/** `ts` of the reading `parseSingleReading` read last, and whether it had one. */
let singleTs = 0;
let singleHasTs = false;

/**
 * The usual payload, one reading (`{"ts":…,"metrics":{…}}`, keys in either order, `ts` optional),
 * without building its envelope: the `metrics` object as `JSON.parse` would build it, or undefined
 * for anything else — a batch, another shape, anything outside the subset — which
 * `parseTelemetryJson` then reads. Its `ts` is `readSingleTs()`; `readWithinRules()` says whether
 * the metrics kept `metricRules`.
 */
export function parseSingleReading(payload: Buffer, metricRules: MetricRules, from = 0, to = payload.length): Record<string, number | boolean> | undefined {
  bytes = payload;
  pos = from;
  rules = metricRules;
  withinRules = true;
  singleHasTs = false;
  const metrics = readSingle();
  const complete = metrics !== undefined && pos === to;
  bytes = EMPTY;
  rules = undefined;
  if (!complete) {
    withinRules = false;
    return undefined;
  }
  return metrics;
}

/** The `ts` of the reading `parseSingleReading` returned last, or undefined when it had none. */
export function readSingleTs(): number | undefined {
  return singleHasTs ? singleTs : undefined;
}

/**
 * After `parseTelemetryJson(payload, rules)` returned a value: every `metrics` object in it is
 * non-empty and every metric in it is one of the type's, of its JSON type and within its range,
 * exactly as the type's metrics schema requires. False says nothing (ajv decides).
 */
export function readWithinRules(): boolean {
  return withinRules;
}

/** `"name":` of a key in `table`, or undefined. Sets `keyBit`. */
function readKey(table: KnownKey[][]): string | undefined {
  if (bytes[pos] !== QUOTE) return undefined;
  const from = pos + 1;
  const candidates = table[bytes[from]!];
  if (candidates === undefined) return undefined;
  next: for (let k = 0; k < candidates.length; k++) {
    const key = candidates[k]!;
    const expected = key.bytes;
    const length = expected.length;
    for (let j = 1; j < length; j++) if (bytes[from + j] !== expected[j]) continue next;
    if (bytes[from + length] !== QUOTE || bytes[from + length + 1] !== COLON) continue;
    pos = from + length + 2;
    keyBit = key.bit;
    keyIndex = key.index;
    return key.name;
  }
  return undefined;
}

/** A JSON number within the exact fast path, or NaN (not read). */
function readNumber(): number {
  let i = pos;
  const negative = bytes[i] === MINUS;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let c = bytes[i]!;
  if (c === ZERO) {
    c = bytes[++i]!; // a leading zero stands alone: "01" is not JSON
  } else if (c > ZERO && c <= NINE) {
    do {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      c = bytes[++i]!;
    } while (c >= ZERO && c <= NINE);
  } else {
    return NaN;
  }
  let fraction = 0;
  if (c === DOT) {
    c = bytes[++i]!;
    const from = i;
    while (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      c = bytes[++i]!;
    }
    fraction = i - from;
    digits += fraction;
    if (fraction === 0) return NaN;
  }
  if (c === LOWER_E || c === UPPER_E || digits > MAX_DIGITS) return NaN;
  pos = i;
  const magnitude = fraction === 0 ? mantissa : mantissa / POWERS_OF_TEN[fraction]!;
  return negative ? -magnitude : magnitude;
}

/** `true` or `false`, or undefined. */
function readBoolean(): boolean | undefined {
  const c = bytes[pos];
  if (c === LOWER_T && bytes[pos + 1] === 0x72 && bytes[pos + 2] === 0x75 && bytes[pos + 3] === 0x65) {
    pos += 4;
    return true;
  }
  if (c === LOWER_F && bytes[pos + 1] === 0x61 && bytes[pos + 2] === 0x6c && bytes[pos + 3] === 0x73 && bytes[pos + 4] === 0x65) {
    pos += 5;
    return false;
  }
  return undefined;
}

/** `{"flow_lpm":0.5,"valve_open":true,…}`: known metric names, numbers and booleans. */
function readMetrics(): Record<string, number | boolean> | undefined {
  if (bytes[pos] !== OPEN_BRACE) return undefined;
  pos++;
  const metrics: Record<string, number | boolean> = {};
  if (bytes[pos] === CLOSE_BRACE) {
    pos++;
    withinRules = false; // minProperties: ajv words the error
    return metrics;
  }
  let seen = 0;
  for (;;) {
    const name = readKey(METRIC_KEYS);
    if (name === undefined || (seen & keyBit) !== 0) return undefined;
    seen |= keyBit;
    const c = bytes[pos];
    if (c === LOWER_T || c === LOWER_F) {
      const flag = readBoolean();
      if (flag === undefined) return undefined;
      if (withinRules && rules!.kinds[keyIndex] !== BOOLEAN_RULE) withinRules = false;
      metrics[name] = flag;
    } else {
      const value = readNumber();
      if (value !== value) return undefined; // NaN: outside the fast path
      if (withinRules && (rules!.kinds[keyIndex] !== NUMBER_RULE || !(value >= rules!.minimum[keyIndex]! && value <= rules!.maximum[keyIndex]!))) {
        withinRules = false;
      }
      metrics[name] = value;
    }
    const separator = bytes[pos++];
    if (separator === CLOSE_BRACE) return metrics;
    if (separator !== COMMA) return undefined;
  }
}

/** An object with keys from `table` (ts, metrics, and for the envelope readings), in source order. */
function readObject(table: KnownKey[][]): Record<string, unknown> | undefined {
  if (bytes[pos] !== OPEN_BRACE) return undefined;
  pos++;
  const object: Record<string, unknown> = {};
  if (bytes[pos] === CLOSE_BRACE) {
    pos++;
    return object;
  }
  let seen = 0;
  for (;;) {
    const name = readKey(table);
    if (name === undefined || (seen & keyBit) !== 0) return undefined;
    seen |= keyBit;
    let value: unknown;
    if (name === METRICS) value = readMetrics();
    else if (name === TS) {
      const ts = readNumber();
      value = ts === ts ? ts : undefined;
    } else value = readReadings();
    if (value === undefined) return undefined;
    object[name] = value;
    const separator = bytes[pos++];
    if (separator === CLOSE_BRACE) return object;
    if (separator !== COMMA) return undefined;
  }
}

/** `[{"ts":…,"metrics":{…}},…]`. */
function readReadings(): unknown[] | undefined {
  if (bytes[pos] !== OPEN_BRACKET) return undefined;
  pos++;
  const readings: unknown[] = [];
  if (bytes[pos] === CLOSE_BRACKET) {
    pos++;
    return readings;
  }
  for (;;) {
    const reading = readObject(READING_KEYS);
    if (reading === undefined) return undefined;
    readings.push(reading);
    const separator = bytes[pos++];
    if (separator === CLOSE_BRACKET) return readings;
    if (separator !== COMMA) return undefined;
  }
}

/** `{"ts":…,"metrics":{…}}` with metrics (ts optional, either order): the metrics; sets `singleTs`. */
function readSingle(): Record<string, number | boolean> | undefined {
  if (bytes[pos] !== OPEN_BRACE) return undefined;
  pos++;
  let metrics: Record<string, number | boolean> | undefined;
  let seen = 0;
  for (;;) {
    const name = readKey(READING_KEYS);
    if (name === undefined || (seen & keyBit) !== 0) return undefined;
    seen |= keyBit;
    if (name === METRICS) {
      metrics = readMetrics();
      if (metrics === undefined) return undefined;
    } else {
      const ts = readNumber();
      if (ts !== ts) return undefined;
      singleTs = ts;
      singleHasTs = true;
    }
    const separator = bytes[pos++];
    if (separator === CLOSE_BRACE) return metrics;
    if (separator !== COMMA) return undefined;
  }
}

function readEnvelope(): Record<string, unknown> | undefined {
  return readObject(ENVELOPE_KEYS);
}
