import { describe, expect, it } from 'vitest';
import type { RawMessage } from '../../../src/contracts/reading.js';
import type { EnrichedReading } from '../../../src/contracts/registry.js';
import type { RiskwatchError } from '../../../src/core/errors.js';
import { RecordedTopic } from '../../../src/ingest/recording-reader.js';
import { createTelemetryDecoder, DEFAULT_INGEST_OPTIONS, deviceIdFromTopic, MessageSlot } from '../../../src/ingest/telemetry-decoder.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';
import { Registry } from '../../../src/registry/registry.js';

const NOW = Date.UTC(2024, 10, 22, 10, 0, 0); // receivedAt of every message here
const registry = loadRegistryFile('registry/demo.yaml');
const decoder = createTelemetryDecoder({}, registry);

function msg(topic: string, payload: unknown, receivedAt = NOW): RawMessage {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return { topic, payload: Buffer.from(text), receivedAt };
}

function rejection(fn: () => unknown): RiskwatchError {
  try {
    fn();
  } catch (err) {
    return err as RiskwatchError;
  }
  throw new Error('expected a rejection');
}

describe('telemetry decoder: accepted messages', () => {
  it('decodes a single reading and enriches it with the cached device context', () => {
    const [reading, ...rest] = decoder.decode(msg('rw/telemetry/wm-0003', { ts: NOW - 60_000, metrics: { flow_lpm: 0, total_m3: 12.34, valve_open: true } }));
    expect(rest).toHaveLength(0);
    const ctx = registry.context('wm-0003')!;
    expect(reading).toEqual({
      deviceId: 'wm-0003',
      ts: NOW - 60_000,
      receivedAt: NOW,
      metrics: { flow_lpm: 0, total_m3: 12.34, valve_open: true },
      ctx,
      // The context's dense numbers ride along, so later stages need not load the context.
      deviceNo: ctx.deviceNo,
      subjectNo: ctx.subjectNo,
    });
    expect(reading!.ctx).toBe(ctx);
    expect(reading!.deviceNo).toEqual(expect.any(Number));
  });

  it('uses receivedAt when the device sends no ts', () => {
    const [reading] = decoder.decode(msg('rw/telemetry/ds-0003', { metrics: { door_open: true } }, NOW + 123));
    expect(reading!.ts).toBe(NOW + 123);
    expect(reading!.receivedAt).toBe(NOW + 123);
  });

  it('accepts RFC 3339 timestamps with any offset', () => {
    const [utc] = decoder.decode(msg('rw/telemetry/gd-0003', { ts: '2024-11-22T09:59:00Z', metrics: { gas_lel_pct: 3 } }));
    const [beijing] = decoder.decode(msg('rw/telemetry/gd-0003', { ts: '2024-11-22T17:59:00.250+08:00', metrics: { gas_lel_pct: 3 } }));
    expect(utc!.ts).toBe(NOW - 60_000);
    expect(beijing!.ts).toBe(NOW - 60_000 + 250);
  });

  it('decodes a batch into readings sorted by event time', () => {
    const readings = decoder.decode(msg('rw/telemetry/wm-0001', {
      readings: [
        { ts: NOW - 1_800_000, metrics: { flow_lpm: 2, total_m3: 10.2 } },
        { ts: '2024-11-22T08:45:00Z', metrics: { flow_lpm: 0, total_m3: 10.0 } },
        { ts: NOW - 900_000, metrics: { flow_lpm: 1, total_m3: 10.5 } },
        { metrics: { battery_pct: 88, signal_dbm: -97 } },
      ],
    }));
    expect(readings.map((r) => r.ts)).toEqual([NOW - 4_500_000, NOW - 1_800_000, NOW - 900_000, NOW]);
    expect(readings.map((r) => r.metrics.total_m3)).toEqual([10.0, 10.2, 10.5, undefined]);
    expect(readings.every((r) => r.deviceId === 'wm-0001' && r.receivedAt === NOW)).toBe(true);
  });

  it('accepts readings exactly at the skew bounds', () => {
    expect(decoder.decode(msg('rw/telemetry/wm-0001', { ts: NOW + DEFAULT_INGEST_OPTIONS.maxFutureSkewMs, metrics: { flow_lpm: 0 } }))).toHaveLength(1);
    expect(decoder.decode(msg('rw/telemetry/wm-0001', { ts: NOW - DEFAULT_INGEST_OPTIONS.maxReadingAgeMs, metrics: { flow_lpm: 0 } }))).toHaveLength(1);
  });

  it('honours a custom topic prefix', () => {
    const custom = createTelemetryDecoder({ topicPrefix: 'city/rw' }, registry);
    expect(custom.decode(msg('city/rw/telemetry/sd-0005', { metrics: { smoke_alarm: false, temperature_c: 21.5 } }))).toHaveLength(1);
    expect(rejection(() => custom.decode(msg('rw/telemetry/sd-0005', { metrics: { smoke_alarm: false } }))).code).toBe('ERR_TOPIC_INVALID');
    expect(custom.options).toEqual({ ...DEFAULT_INGEST_OPTIONS, topicPrefix: 'city/rw' });
  });
});

describe('telemetry decoder: rejections carry their code', () => {
  it('bad topics', () => {
    for (const topic of ['rw/telemetry/', 'rw/telemetry', 'rw/telemetry/wm-0001/extra', 'rw/telemetryx/wm-0001', 'rx/telemetry/wm-0001', 'rw/alerts/red/x', '', 'telemetry/wm-0001']) {
      expect(rejection(() => decoder.decode(msg(topic, { metrics: { flow_lpm: 0 } }))).code, topic).toBe('ERR_TOPIC_INVALID');
    }
    expect(deviceIdFromTopic('rw/telemetry/wm-0001')).toBe('wm-0001');
    expect(deviceIdFromTopic('rw/telemetry/a/b')).toBeUndefined();
  });

  it('oversized payloads, before anything parses them', () => {
    const small = createTelemetryDecoder({ maxPayloadBytes: 100 }, registry);
    const valid = JSON.stringify({ metrics: { flow_lpm: 0 } });
    const padded = valid.replace('{', `{${' '.repeat(101 - valid.length)}`);
    expect(Buffer.byteLength(padded)).toBe(101);
    const err = rejection(() => small.decode(msg('rw/telemetry/wm-0001', padded)));
    expect(err.code).toBe('ERR_PAYLOAD_TOO_LARGE');
    expect(err.details).toMatchObject({ bytes: 101, limit: 100 });
    expect(rejection(() => small.decode(msg('rw/telemetry/wm-0001', '{'.repeat(101)))).code).toBe('ERR_PAYLOAD_TOO_LARGE');
    expect(small.decode(msg('rw/telemetry/wm-0001', padded.slice(1).replace(/^ /, '{')))).toHaveLength(1);
  });

  it('malformed JSON and envelopes', () => {
    const cases = ['{"metrics": {', 'not json', '', '[{"metrics": {"flow_lpm": 0}}]', '42', 'null', '"text"',
      '{"ts": 1}', '{}', '{"metrics": {"flow_lpm": 0}, "readings": []}'];
    for (const payload of cases) {
      expect(rejection(() => decoder.decode(msg('rw/telemetry/wm-0001', payload))).code, payload).toBe('ERR_PAYLOAD_MALFORMED');
    }
  });

  it('batches over the limit', () => {
    const limited = createTelemetryDecoder({ maxBatchReadings: 3 }, registry);
    const readings = (n: number) => ({ readings: Array.from({ length: n }, (_, i) => ({ ts: NOW - i, metrics: { flow_lpm: 0 } })) });
    expect(limited.decode(msg('rw/telemetry/wm-0001', readings(3)))).toHaveLength(3);
    const err = rejection(() => limited.decode(msg('rw/telemetry/wm-0001', readings(4))));
    expect(err.code).toBe('ERR_PAYLOAD_MALFORMED');
    expect(err.details).toMatchObject({ problem: 'batch_limit', readings: 4, limit: 3 });
  });

  it('unknown devices', () => {
    const err = rejection(() => decoder.decode(msg('rw/telemetry/wm-9999', { metrics: { flow_lpm: 0 } })));
    expect(err.code).toBe('ERR_DEVICE_UNKNOWN');
    expect(err.details).toMatchObject({ deviceId: 'wm-9999' });
    // Unknown before malformed: the schema depends on the device type, and a flood of strangers costs no parse.
    expect(rejection(() => decoder.decode(msg('rw/telemetry/wm-9999', 'garbage'))).code).toBe('ERR_DEVICE_UNKNOWN');
  });

  it('schema violations, with the path of the offending value', () => {
    const cases: [string, unknown, string][] = [
      ['rw/telemetry/wm-0001', { metrics: { flow_lmp: 1.5 } }, '/metrics/flow_lmp'], // typo: unknown metric
      ['rw/telemetry/wm-0001', { metrics: { flow_lpm: '1.5' } }, '/metrics/flow_lpm'], // wrong type
      ['rw/telemetry/wm-0001', { metrics: { valve_open: 1 } }, '/metrics/valve_open'],
      ['rw/telemetry/wm-0001', { metrics: { flow_lpm: -1 } }, '/metrics/flow_lpm'],
      ['rw/telemetry/wm-0001', { metrics: { battery_pct: 101 } }, '/metrics/battery_pct'],
      ['rw/telemetry/wm-0001', { metrics: { signal_dbm: 5 } }, '/metrics/signal_dbm'],
      ['rw/telemetry/wm-0001', { metrics: { gas_lel_pct: 5 } }, '/metrics/gas_lel_pct'], // another type's metric
      ['rw/telemetry/wm-0001', { metrics: {} }, '/metrics'],
      ['rw/telemetry/wm-0001', { metrics: null }, '/metrics'],
      ['rw/telemetry/wm-0001', { metrics: { flow_lpm: 0 }, battery_pct: 50 }, '/battery_pct'], // one shape: metrics only
      ['rw/telemetry/wm-0001', { ts: 1732269600000.5, metrics: { flow_lpm: 0 } }, '/ts'],
      ['rw/telemetry/wm-0001', { ts: '22/11/2024 10:00', metrics: { flow_lpm: 0 } }, '/ts'],
      ['rw/telemetry/wm-0001', { ts: '2024-02-30T10:00:00Z', metrics: { flow_lpm: 0 } }, '/ts'],
      ['rw/telemetry/wm-0001', { readings: [] }, '/readings'],
      ['rw/telemetry/wm-0001', { readings: 'x' }, '/readings'],
      ['rw/telemetry/gd-0003', { metrics: { gas_lel_pct: 120 } }, '/metrics/gas_lel_pct'],
      ['rw/telemetry/sd-0003', { metrics: { smoke_alarm: 'yes' } }, '/metrics/smoke_alarm'],
      ['rw/telemetry/ds-0003', { metrics: { door_open: true, flow_lpm: 0 } }, '/metrics/flow_lpm'],
      ['rw/telemetry/gm-0001', { metrics: { flow_m3h: 0.4, co_ppm: 3 } }, '/metrics/co_ppm'],
    ];
    for (const [topic, payload, path] of cases) {
      const err = rejection(() => decoder.decode(msg(topic, payload)));
      expect(err.code, JSON.stringify(payload)).toBe('ERR_PAYLOAD_SCHEMA');
      expect(err.details?.path, JSON.stringify(payload)).toBe(path);
    }
  });

  it('rejects a whole batch for one bad reading', () => {
    const err = rejection(() => decoder.decode(msg('rw/telemetry/wm-0001', {
      readings: [{ ts: NOW - 2000, metrics: { flow_lpm: 0 } }, { ts: NOW - 1000, metrics: { flow_lpm: 'lots' } }],
    })));
    expect(err.code).toBe('ERR_PAYLOAD_SCHEMA');
    expect(err.details).toMatchObject({ path: '/readings/1/metrics/flow_lpm', deviceType: 'water_meter' });
    const skewed = rejection(() => decoder.decode(msg('rw/telemetry/wm-0001', {
      readings: [{ ts: NOW - 2000, metrics: { flow_lpm: 0 } }, { ts: NOW + 3_600_000, metrics: { flow_lpm: 0 } }],
    })));
    expect(skewed.code).toBe('ERR_CLOCK_SKEW');
    expect(skewed.details).toMatchObject({ path: '/readings/1', direction: 'future' });
  });

  it('clock skew: too far in the future, too old', () => {
    const future = rejection(() => decoder.decode(msg('rw/telemetry/wm-0001', { ts: NOW + 5 * 60_000 + 1, metrics: { flow_lpm: 0 } })));
    expect(future.code).toBe('ERR_CLOCK_SKEW');
    expect(future.details).toMatchObject({ direction: 'future', skewMs: 300_001, boundMs: 300_000, receivedAt: NOW });
    const old = rejection(() => decoder.decode(msg('rw/telemetry/wm-0001', { ts: NOW - 7 * 86_400_000 - 1, metrics: { flow_lpm: 0 } })));
    expect(old.code).toBe('ERR_CLOCK_SKEW');
    expect(old.details).toMatchObject({ direction: 'past' });
    // Seconds instead of milliseconds: a classic device bug, caught as a 1970 timestamp.
    expect(rejection(() => decoder.decode(msg('rw/telemetry/wm-0001', { ts: Math.floor(NOW / 1000), metrics: { flow_lpm: 0 } }))).code).toBe('ERR_CLOCK_SKEW');
    expect(rejection(() => decoder.decode(msg('rw/telemetry/wm-0001', { ts: 1e300, metrics: { flow_lpm: 0 } }))).code).toBe('ERR_CLOCK_SKEW');
  });

  it('refuses nonsense options with a coded error', () => {
    for (const options of [{ topicPrefix: '' }, { topicPrefix: 'rw/#' }, { topicPrefix: 'rw/' }, { maxPayloadBytes: 0 }, { maxBatchReadings: Number.NaN }, { maxReadingAgeMs: -1 }]) {
      expect(rejection(() => createTelemetryDecoder(options, registry)).code, JSON.stringify(options)).toBe('ERR_CONFIG_INVALID');
    }
  });
});

describe('telemetry decoder: payloads in place and recorded topics (what replay feeds)', () => {
  /** The outcome of decoding, comparable: the readings without their context, or the error's code, message and details. */
  const outcome = (run: () => EnrichedReading | EnrichedReading[]) => {
    try {
      const decoded = run();
      return { readings: (Array.isArray(decoded) ? decoded : [decoded]).map(({ ctx, ...reading }) => ({ ...reading, device: ctx.device })) };
    } catch (err) {
      const { code, message, details } = err as RiskwatchError;
      return { code, message, details };
    }
  };

  it('decodes a range of a larger buffer, through a recorded topic, exactly as the message on its own, before and after registry edits', () => {
    const local = new Registry({
      places: [{ id: 'st', kind: 'street', name: 'S', timeZone: 'Asia/Shanghai' }, { id: 'cm', kind: 'community', name: 'C', parentId: 'st' }, { id: 'gr', kind: 'grid', name: 'G', parentId: 'cm' }],
      subjects: [{ id: 'hh', kind: 'household', placeId: 'gr' }, { id: 'hh2', kind: 'household', placeId: 'gr' }],
      devices: [{ id: 'wm', type: 'water_meter', subjectId: 'hh' }, { id: 'gd', type: 'gas_detector', subjectId: 'hh' }],
    });
    const ranged = createTelemetryDecoder({ maxPayloadBytes: 200 }, local);
    const plain = createTelemetryDecoder({ maxPayloadBytes: 200 }, local);
    const topics = new Map(['wm', 'gd', 'nope'].map((id) => [id, new RecordedTopic(`rw/telemetry/${id}`)]));
    const slot = new MessageSlot();
    const payloads = [
      { ts: NOW - 1000, metrics: { flow_lpm: 1.5, valve_open: true } },
      { metrics: { flow_lpm: 2 } },
      { ts: NOW - 500, metrics: { gas_lel_pct: 27 } },
      { ts: NOW - 500, metrics: { gas_lel_pct: 101 } }, // out of range
      { ts: NOW + 3_600_000, metrics: { flow_lpm: 1 } }, // skew
      { ts: NOW - 1.5, metrics: { flow_lpm: 1 } }, // not an integer
      { metrics: {} },
      { readings: [{ ts: NOW - 2000, metrics: { flow_lpm: 1 } }, { ts: NOW - 3000, metrics: { flow_lpm: 0 } }] },
      '{"metrics":{"flow_lpm":1}', // cut short: the byte after the range must not complete it
      '{"metrics":{"flow_lpm":1} }',
      `{"metrics":{"flow_lpm":1},"pad":"${'x'.repeat(300)}"}`, // too large
    ];
    const check = (round: string) => {
      for (const id of ['wm', 'gd', 'nope']) {
        for (const payload of payloads) {
          const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
          // The payload inside a line of a recording: bytes before it, and a closing brace and more after it.
          const line = Buffer.from(`{"t":1,"payload":${text}}\n{"t":2}`);
          const from = line.indexOf(text);
          const recorded = topics.get(id)!;
          for (let twice = 0; twice < 2; twice++) {
            const inPlace = outcome(() => ranged.decodeMessage!(slot.fill(recorded.topic, recorded, line, from, from + Buffer.byteLength(text), NOW)));
            const alone = outcome(() => plain.decode({ topic: recorded.topic, payload: Buffer.from(text), receivedAt: NOW }));
            expect({ round, id, text, inPlace }).toEqual({ round, id, text, inPlace: alone });
          }
        }
      }
    };
    check('first');
    local.upsertDevice({ id: 'wm', type: 'gas_detector', subjectId: 'hh2' }); // a new type and subject for a known topic
    check('after an upsert');
    local.removeDevice('gd');
    check('after a removal');
    local.upsertDevice({ id: 'gd', type: 'water_meter', subjectId: 'hh' });
    check('after adding it back');
  });
});
