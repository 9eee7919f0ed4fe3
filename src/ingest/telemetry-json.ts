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
    table[name.charCodeAt(0)]!.push({ name, bytes: Buffer.from(name, 'latin1'), bit: 1 << (i % 31) });
  });
  return table;
}

const METRIC_KEYS = keyTable([...new Set(Object.values(METRIC_SCHEMAS).flatMap((schema) => Object.keys(schema.properties)))]);
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
/** Bit of the key `readKey` matched last. */
let keyBit = 0;

/**
 * The payload as `JSON.parse(payload.toString('utf8'))` would return it, or undefined when it is
 * outside the subset read here (then `JSON.parse` decides, including whether it is JSON at all).
 */
export function parseTelemetryJson(payload: Buffer): unknown {
  bytes = payload;
  pos = 0;
  const value = readEnvelope();
  const complete = value !== undefined && pos === payload.length;
  bytes = EMPTY; // do not keep the last payload alive
  return complete ? value : undefined;
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
      metrics[name] = flag;
    } else {
      const value = readNumber();
      if (value !== value) return undefined; // NaN: outside the fast path
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

function readEnvelope(): Record<string, unknown> | undefined {
  return readObject(ENVELOPE_KEYS);
}
