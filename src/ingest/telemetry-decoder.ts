import type { ErrorObject } from 'ajv';
import type { Metrics, RawMessage } from '../contracts/reading.js';
import type { DeviceContext, DeviceType, EnrichedReading } from '../contracts/registry.js';
import {
  ERR_CLOCK_SKEW,
  ERR_CONFIG_INVALID,
  ERR_DEVICE_UNKNOWN,
  ERR_PAYLOAD_MALFORMED,
  ERR_PAYLOAD_SCHEMA,
  ERR_PAYLOAD_TOO_LARGE,
  ERR_TOPIC_INVALID,
  withDetails,
  type RiskwatchError,
} from '../core/errors.js';
import { PAYLOAD_VALIDATORS, type PayloadValidators } from './device-schemas.js';
import type { RecordedTopic } from './recording-reader.js';
import { parseRfc3339 } from './rfc3339.js';
import { METRIC_RULES, parseSingleReading, parseTelemetryJson, readSingleTs, readWithinRules } from './telemetry-json.js';

export interface IngestOptions {
  /** Telemetry arrives on `{topicPrefix}/telemetry/{deviceId}`. */
  topicPrefix: string;
  /** Checked on the raw payload, before anything parses it. */
  maxPayloadBytes: number;
  maxBatchReadings: number;
  /** A reading's `ts` may be at most this far ahead of receivedAt (device clock drift). */
  maxFutureSkewMs: number;
  /** ... and at most this far behind it (NB-IoT meters upload hours of intervals late, not weeks). */
  maxReadingAgeMs: number;
}

export const DEFAULT_INGEST_OPTIONS: Readonly<IngestOptions> = Object.freeze({
  topicPrefix: 'rw',
  maxPayloadBytes: 64 * 1024,
  maxBatchReadings: 1000,
  maxFutureSkewMs: 5 * 60_000,
  maxReadingAgeMs: 7 * 86_400_000,
});

/** What the decoder needs from the registry (`Registry` satisfies it). */
export interface DeviceContextSource {
  context(deviceId: string): DeviceContext | undefined;
  /**
   * Optional: a number that moves on whenever a context handed out may have stopped being
   * current (a device replaced or removed). With it, the decoder keeps a recording's topics routed
   * to their contexts (`RecordedTopic`) for as long as it stands still.
   */
  readonly generation?: number;
}

/**
 * Raw MQTT message → enriched readings. `decode` returns the readings of one message sorted by
 * `ts`, or throws a RiskwatchError whose code says why (each code is a dead-letter reason):
 * ERR_TOPIC_INVALID, ERR_PAYLOAD_TOO_LARGE, ERR_DEVICE_UNKNOWN, ERR_PAYLOAD_MALFORMED,
 * ERR_PAYLOAD_SCHEMA, ERR_CLOCK_SKEW — checked in that order, cheapest first.
 */
export interface TelemetryDecoder {
  readonly options: Readonly<IngestOptions>;
  decode(raw: RawMessage): EnrichedReading[];
  /**
   * `decode` without the array for a message of one reading: that reading, or a batch's readings
   * as `decode` returns them. Same checks, same errors. Optional: the ingest stage falls back to
   * `decode` for a decoder without it.
   */
  decodeMessage?(raw: RawMessage): EnrichedReading | EnrichedReading[];
}

const EMPTY = Buffer.alloc(0);

/**
 * A raw message whose payload is `bytes[from, to)` — all of a buffer as the broker delivers it, or
 * a range of a recording chunk as replay reads it — and whose topic may come as the recording's
 * `RecordedTopic`. The decoder reads the range in place, and the topic's route from the recorded
 * topic; `payload` makes a view only when something asks for it (a dead letter). The pipeline
 * keeps one and refills it per message, so nothing may keep it beyond the call it is passed to.
 */
export class MessageSlot implements RawMessage {
  topic = '';
  bytes: Buffer = EMPTY;
  from = 0;
  to = 0;
  receivedAt = 0;
  recorded: RecordedTopic | undefined = undefined;

  get payload(): Buffer {
    return this.from === 0 && this.to === this.bytes.length ? this.bytes : this.bytes.subarray(this.from, this.to);
  }

  fill(topic: string, recorded: RecordedTopic | undefined, bytes: Buffer, from: number, to: number, receivedAt: number): this {
    this.topic = topic;
    this.recorded = recorded;
    this.bytes = bytes;
    this.from = from;
    this.to = to;
    this.receivedAt = receivedAt;
    return this;
  }

  /** Lets go of the payload (a view of a whole recording chunk) and the topic. */
  clear(): void {
    this.fill('', undefined, EMPTY, 0, 0, 0);
  }
}

export function createTelemetryDecoder(options: Partial<IngestOptions>, registry: DeviceContextSource): TelemetryDecoder {
  return new JsonTelemetryDecoder(resolveOptions(options), registry);
}

/**
 * The device id of a telemetry topic (`rw/telemetry/wm-0001` → `wm-0001`), or undefined when the
 * topic is anything else: exactly one non-empty level after `{prefix}/telemetry/`.
 */
export function deviceIdFromTopic(topic: string, prefix: string = DEFAULT_INGEST_OPTIONS.topicPrefix): string | undefined {
  const head = `${prefix}/telemetry/`;
  return topicDeviceId(topic, head);
}

function topicDeviceId(topic: string, head: string): string | undefined {
  if (topic.length <= head.length || !topic.startsWith(head) || topic.indexOf('/', head.length) !== -1) return undefined;
  return topic.slice(head.length);
}

interface ReadingJson {
  ts?: number | string;
  metrics: Metrics;
}

const MAX_ECHO = 128;

/**
 * The hot path (every message passes here): string ops on the topic and one Map lookup for the
 * device — or, for a recording's topic routed before, one object read — then one parse of the
 * payload's bytes in place (telemetry-json.ts, else JSON.parse), the schema check (done by the
 * byte reader as it reads, for the payloads it vouches for; else the compiled ajv validator), and
 * the parsed `metrics` object is kept as the reading's metrics (validation guarantees it holds
 * nothing else), so a single reading costs one allocation of ours besides its metrics: the reading.
 */
class JsonTelemetryDecoder implements TelemetryDecoder {
  private readonly head: string;
  private readonly maxPayloadBytes: number;
  private readonly maxBatchReadings: number;
  private readonly maxFutureSkewMs: number;
  private readonly maxReadingAgeMs: number;
  constructor(readonly options: Readonly<IngestOptions>, private readonly registry: DeviceContextSource) {
    this.head = `${options.topicPrefix}/telemetry/`;
    this.maxPayloadBytes = options.maxPayloadBytes;
    this.maxBatchReadings = options.maxBatchReadings;
    this.maxFutureSkewMs = options.maxFutureSkewMs;
    this.maxReadingAgeMs = options.maxReadingAgeMs;
  }

  decode(raw: RawMessage): EnrichedReading[] {
    const decoded = this.decodeMessage(raw);
    return Array.isArray(decoded) ? decoded : [decoded];
  }

  decodeMessage(raw: RawMessage): EnrichedReading | EnrichedReading[] {
    if (raw instanceof MessageSlot) return this.decodeRange(raw.topic, raw.recorded, raw.bytes, raw.from, raw.to, raw.receivedAt);
    const payload = raw.payload;
    return this.decodeRange(raw.topic, undefined, payload, 0, payload.length, raw.receivedAt);
  }

  /** A message whose payload is `bytes[from, to)`; `recorded`, when given, is the topic's RecordedTopic. */
  private decodeRange(topic: string, recorded: RecordedTopic | undefined, bytes: Buffer, from: number, to: number, receivedAt: number): EnrichedReading | EnrichedReading[] {
    // A recorded topic this decoder routed while the registry stood still: its device's context
    // and all a reading needs are on the topic object. Only the usual payload, one reading the
    // byte reader vouches for, is finished here; anything else takes the full path below, which
    // checks everything in its order (and reads the payload again).
    if (recorded !== undefined && recorded.routeOwner === this && recorded.routeGeneration === this.registry.generation && to - from <= this.maxPayloadBytes) {
      const rules = recorded.routeRules;
      const metrics = rules === undefined ? undefined : parseSingleReading(bytes, rules, from, to);
      if (metrics !== undefined && readWithinRules()) {
        const ts = readSingleTs();
        if (ts === undefined || Number.isInteger(ts)) {
          const at = ts === undefined ? receivedAt : ts;
          if (at > receivedAt + this.maxFutureSkewMs) throw skewError(at, receivedAt, this.maxFutureSkewMs, 'future', '');
          if (at < receivedAt - this.maxReadingAgeMs) throw skewError(at, receivedAt, this.maxReadingAgeMs, 'past', '');
          return {
            deviceId: recorded.routeDeviceId, ts: at, receivedAt, metrics, ctx: recorded.routeContext!, deviceNo: recorded.routeDeviceNo, subjectNo: recorded.routeSubjectNo,
          };
        }
      }
    }
    const deviceId = topicDeviceId(topic, this.head);
    if (deviceId === undefined) throw withDetails(ERR_TOPIC_INVALID(clip(topic)), { expected: `${this.head}{deviceId}` });

    const size = to - from;
    if (size > this.maxPayloadBytes) {
      throw withDetails(ERR_PAYLOAD_TOO_LARGE(size, this.maxPayloadBytes), { bytes: size, limit: this.maxPayloadBytes });
    }

    // Before parsing: the schema depends on the device type, and a flood from unprovisioned
    // devices should cost a Map lookup, not a JSON.parse each.
    const ctx = this.registry.context(deviceId);
    if (ctx === undefined) throw withDetails(ERR_DEVICE_UNKNOWN(clip(deviceId)), { deviceId: clip(deviceId) });
    if (recorded !== undefined) this.route(recorded, ctx);

    // The usual compact payload straight from its bytes; anything else through JSON.parse. Both
    // give the same value, and the same validator decides (see telemetry-json.ts): the byte
    // reader checks the type's metric rules as it reads, and vouches only for what passes them.
    // First the commonest case, one reading the reader vouches for, with an integer or no `ts`:
    // what is left of its schema holds, so the reading is made straight from its metrics.
    const rules = METRIC_RULES[ctx.device.type];
    const metrics = rules === undefined ? undefined : parseSingleReading(bytes, rules, from, to);
    if (metrics !== undefined && readWithinRules()) {
      const ts = readSingleTs();
      if (ts === undefined) return this.reading(receivedAt, metrics, ctx, receivedAt, '');
      if (Number.isInteger(ts)) return this.reading(ts, metrics, ctx, receivedAt, '');
    }
    const type = ctx.device.type;
    let body = parseTelemetryJson(bytes, rules, from, to);
    let vouched = body !== undefined && readWithinRules();
    if (body === undefined) {
      try {
        body = JSON.parse(bytes.toString('utf8', from, to));
      } catch (err) {
        throw malformed('json', (err as Error).message);
      }
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed('envelope', ENVELOPE);

    const validators: PayloadValidators = PAYLOAD_VALIDATORS[type];
    const envelope = body as { ts?: unknown; metrics?: unknown; readings?: unknown };

    if (envelope.readings === undefined) {
      if (envelope.metrics === undefined) throw malformed('envelope', ENVELOPE);
      // Vouched for: keys `ts` and `metrics` only (the reader knows no others), metrics within the
      // rules; what is left of the schema is an integer `ts`.
      if (!(vouched && isIntegerOrAbsent(envelope.ts)) && !validators.reading(envelope)) throw schemaError(type, validators.reading.errors);
      return this.toReading(envelope as ReadingJson, ctx, receivedAt, '');
    }

    if (envelope.metrics !== undefined) throw malformed('envelope', ENVELOPE);
    const items = envelope.readings;
    if (Array.isArray(items) && items.length > this.maxBatchReadings) {
      throw withDetails(ERR_PAYLOAD_MALFORMED(`a batch of ${items.length} readings exceeds the limit of ${this.maxBatchReadings}`), {
        problem: 'batch_limit', readings: items.length, limit: this.maxBatchReadings,
      });
    }
    // The whole batch is validated (and below, time-checked) before any reading is emitted: one bad
    // reading rejects the message. A half-applied batch would leave a hole in the device's interval
    // series that inactivity and offline models read as real silence, and the dead letter keeps the
    // message whole, so it can be fixed and replayed as the unit the device sent.
    if (vouched) vouched = envelope.ts === undefined && isVouchedBatch(items);
    if (!vouched && !validators.batch(envelope)) throw schemaError(type, validators.batch.errors);
    const readings = items as ReadingJson[];
    const out = new Array<EnrichedReading>(readings.length);
    for (let i = 0; i < readings.length; i++) out[i] = this.toReading(readings[i]!, ctx, receivedAt, `/readings/${i}`);
    if (out.length > 1) out.sort(byEventTime);
    return out;
  }

  /**
   * Routes the recorded topic to `ctx` while the registry stands still (see decodeRange): the next
   * message on it finds what its reading needs on the topic object, one object read per message
   * where the registry's lookup by id cost a hash lookup and a cache miss on the context and another
   * on the device (replay profile).
   */
  private route(recorded: RecordedTopic, ctx: DeviceContext): void {
    const generation = this.registry.generation;
    if (typeof generation !== 'number') return;
    recorded.routeOwner = this;
    recorded.routeGeneration = generation;
    recorded.routeContext = ctx;
    recorded.routeDeviceId = ctx.device.id;
    recorded.routeDeviceNo = ctx.deviceNo;
    recorded.routeSubjectNo = ctx.subjectNo;
    recorded.routeRules = METRIC_RULES[ctx.device.type];
  }

  private toReading(json: ReadingJson, ctx: DeviceContext, receivedAt: number, path: string): EnrichedReading {
    const raw = json.ts;
    let ts: number;
    if (raw === undefined) ts = receivedAt;
    else if (typeof raw === 'number') ts = raw;
    else {
      ts = parseRfc3339(raw);
      if (Number.isNaN(ts)) {
        throw withDetails(ERR_PAYLOAD_SCHEMA(ctx.device.type, `${path}/ts is not a valid date-time`), {
          deviceType: ctx.device.type, path: `${path}/ts`, keyword: 'format', message: 'must be a valid RFC 3339 date-time',
        });
      }
    }
    return this.reading(ts, json.metrics, ctx, receivedAt, path);
  }

  /** The reading at event time `ts`, once its time is checked against `receivedAt`. */
  private reading(ts: number, metrics: Metrics, ctx: DeviceContext, receivedAt: number, path: string): EnrichedReading {
    if (ts > receivedAt + this.maxFutureSkewMs) throw skewError(ts, receivedAt, this.maxFutureSkewMs, 'future', path);
    if (ts < receivedAt - this.maxReadingAgeMs) throw skewError(ts, receivedAt, this.maxReadingAgeMs, 'past', path);
    // The registry's own id string, not the one sliced from this message's topic: readings that
    // models keep (last reading, evidence) then share one string per device instead of one each.
    return { deviceId: ctx.device.id, ts, receivedAt, metrics, ctx, deviceNo: ctx.deviceNo, subjectNo: ctx.subjectNo };
  }
}

/** JSON Schema `integer` (ajv: a finite number without a fraction), or absent. */
function isIntegerOrAbsent(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isInteger(value));
}

/**
 * The rest of the batch schema, for a batch whose metrics the reader vouched for: a non-empty
 * array of objects (the reader's, keyed `ts` and `metrics` only), each with metrics and an
 * integer or absent `ts`.
 */
function isVouchedBatch(items: unknown): boolean {
  if (!Array.isArray(items) || items.length === 0) return false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as { ts?: unknown; metrics?: unknown };
    if (item.metrics === undefined || !isIntegerOrAbsent(item.ts)) return false;
  }
  return true;
}

const ENVELOPE = 'expected an object with "metrics" (one reading) or "readings" (a batch), not both';

function byEventTime(a: EnrichedReading, b: EnrichedReading): number {
  return a.ts - b.ts;
}

function malformed(problem: 'json' | 'envelope', reason: string): RiskwatchError {
  return withDetails(ERR_PAYLOAD_MALFORMED(reason), { problem });
}

function schemaError(type: DeviceType, errors: ErrorObject[] | null | undefined): RiskwatchError {
  const error = errors?.[0];
  if (!error) return withDetails(ERR_PAYLOAD_SCHEMA(type, 'invalid'), { deviceType: type, path: '' });
  let path = error.instancePath;
  let message = error.message ?? 'invalid';
  if (error.keyword === 'additionalProperties') {
    path += `/${String(error.params.additionalProperty)}`;
    message = path.endsWith(`/metrics/${String(error.params.additionalProperty)}`) ? `unknown metric for a ${type}` : 'unknown property';
  } else if (error.keyword === 'required') {
    path += `/${String(error.params.missingProperty)}`;
    message = 'is required';
  } else if (error.keyword === 'pattern') {
    message = 'must be epoch milliseconds or an RFC 3339 date-time';
  } else if (error.keyword === 'minProperties') {
    message = 'must hold at least one metric';
  }
  return withDetails(ERR_PAYLOAD_SCHEMA(type, `${path || '/'} ${message}`), { deviceType: type, path, keyword: error.keyword, message });
}

function skewError(ts: number, receivedAt: number, bound: number, direction: 'future' | 'past', path: string): RiskwatchError {
  const skewMs = ts - receivedAt;
  const when = Math.abs(ts) <= 8.64e15 ? new Date(ts).toISOString() : String(ts);
  return withDetails(ERR_CLOCK_SKEW(when, Math.abs(skewMs), bound), { ts, receivedAt, skewMs, boundMs: bound, direction, path: path || '/' });
}

/** Topics and ids are echoed into messages and dead letters; a 64 KiB topic must not be. */
function clip(text: string): string {
  return text.length <= MAX_ECHO ? text : `${text.slice(0, MAX_ECHO)}…`;
}

function resolveOptions(options: Partial<IngestOptions>): Readonly<IngestOptions> {
  const resolved: IngestOptions = { ...DEFAULT_INGEST_OPTIONS };
  for (const [key, value] of Object.entries(options) as [keyof IngestOptions, unknown][]) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  const prefix = resolved.topicPrefix;
  if (typeof prefix !== 'string' || prefix === '' || /[+#\u0000]/.test(prefix) || prefix.endsWith('/') || prefix.startsWith('/')) {
    throw ERR_CONFIG_INVALID(`ingest topic prefix "${String(prefix)}" must be non-empty, without wildcards or a leading or trailing /`);
  }
  for (const key of ['maxPayloadBytes', 'maxBatchReadings', 'maxFutureSkewMs', 'maxReadingAgeMs'] as const) {
    const value = resolved[key];
    const least = key === 'maxFutureSkewMs' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < least) {
      throw ERR_CONFIG_INVALID(`ingest option ${key} must be a number ≥ ${least}, got ${String(value)}`);
    }
  }
  return Object.freeze(resolved);
}
