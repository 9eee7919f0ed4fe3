import { describe, expect, it } from 'vitest';
import type { RawMessage } from '../../../src/contracts/reading.js';
import type { RiskwatchError } from '../../../src/core/errors.js';
import { DEAD_LETTER_REASONS, DeadLetterStore, deadLetterReason, payloadPreview } from '../../../src/ingest/dead-letters.js';
import { createTelemetryDecoder } from '../../../src/ingest/telemetry-decoder.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';

const NOW = Date.UTC(2024, 10, 22, 10);
const decoder = createTelemetryDecoder({ maxPayloadBytes: 1024, maxBatchReadings: 2 }, loadRegistryFile('registry/demo.yaml'));

function raw(topic: string, payload: string, receivedAt = NOW): RawMessage {
  return { topic, payload: Buffer.from(payload), receivedAt };
}

/** The decoder's own rejection of a message. */
function rejectionOf(message: RawMessage): RiskwatchError {
  try {
    decoder.decode(message);
  } catch (err) {
    return err as RiskwatchError;
  }
  throw new Error('expected a rejection');
}

const BAD: Record<string, RawMessage> = {
  bad_topic: raw('rw/telemetry/wm-0001/x', '{"metrics":{"flow_lpm":0}}'),
  too_large: raw('rw/telemetry/wm-0001', ' '.repeat(2000)),
  malformed: raw('rw/telemetry/wm-0001', '{"metrics":'),
  schema: raw('rw/telemetry/wm-0001', '{"metrics":{"flow_lmp":0}}'),
  unknown_device: raw('rw/telemetry/zz-0001', '{"metrics":{"flow_lpm":0}}'),
  clock_skew: raw('rw/telemetry/wm-0001', `{"ts":${NOW + 3_600_000},"metrics":{"flow_lpm":0}}`),
};

describe('dead-letter reasons', () => {
  it('maps every ingest rejection to its reason through one table', () => {
    for (const [reason, message] of Object.entries(BAD)) {
      const err = rejectionOf(message);
      expect(deadLetterReason(err.code), err.code).toBe(reason);
    }
    expect(deadLetterReason('ERR_PIPELINE_STAGE')).toBe('internal');
    expect(deadLetterReason('ERR_SOMETHING_NEW')).toBe('internal');
  });
});

describe('DeadLetterStore', () => {
  it('keeps what a dead letter needs, with the message time', () => {
    const store = new DeadLetterStore();
    const entry = store.add(BAD.schema!, rejectionOf(BAD.schema!));
    expect(entry).toMatchObject({
      id: 1, at: NOW, topic: 'rw/telemetry/wm-0001', reason: 'schema', code: 'ERR_PAYLOAD_SCHEMA',
      payloadBytes: BAD.schema!.payload.length, payloadPreview: '{"metrics":{"flow_lmp":0}}',
    });
    expect(entry.details).toMatchObject({ path: '/metrics/flow_lmp' });
    expect(typeof entry.message).toBe('string');
  });

  it('stays bounded and keeps exact counters after the ring overwrote entries', () => {
    const store = new DeadLetterStore(5);
    const sequence = ['schema', 'malformed', 'schema', 'unknown_device', 'schema', 'clock_skew', 'malformed', 'schema', 'too_large', 'bad_topic', 'schema', 'malformed'];
    for (const reason of sequence) store.add(BAD[reason]!, rejectionOf(BAD[reason]!));
    expect(store.size).toBe(5);
    expect(store.total).toBe(12);
    expect(store.counts()).toEqual({ bad_topic: 1, too_large: 1, malformed: 3, schema: 5, unknown_device: 1, clock_skew: 1, internal: 0 });
    expect(Object.keys(store.counts())).toEqual([...DEAD_LETTER_REASONS]);
    // Newest first: the last five added, ids 12..8.
    expect(store.list().map((e) => e.id)).toEqual([12, 11, 10, 9, 8]);
    expect(store.list().map((e) => e.reason)).toEqual(['malformed', 'schema', 'bad_topic', 'too_large', 'schema']);
  });

  it('filters by reason (or its error code) and pages', () => {
    const store = new DeadLetterStore(100);
    for (let i = 0; i < 30; i++) {
      const reason = i % 3 === 0 ? 'schema' : 'malformed';
      store.add(BAD[reason]!, rejectionOf(BAD[reason]!));
    }
    const schema = store.list({ reason: 'schema', limit: 4, offset: 2 });
    expect(schema.map((e) => e.id)).toEqual([22, 19, 16, 13]);
    expect(store.list({ reason: 'ERR_PAYLOAD_SCHEMA', limit: 4, offset: 2 })).toEqual(schema);
    const page = store.page({ reason: 'malformed', limit: 5, offset: 0 });
    expect(page.total).toBe(20);
    expect(page.items).toHaveLength(5);
    expect(page.counts).toMatchObject({ schema: 10, malformed: 20 });
    expect(store.page({ reason: 'no_such_reason', limit: 5, offset: 0 })).toMatchObject({ items: [], total: 0 });
    expect(store.list({ limit: 10, offset: 25 }).map((e) => e.id)).toEqual([5, 4, 3, 2, 1]);
  });

  it('never keeps more than a 256-byte preview, cut at a character boundary', () => {
    const store = new DeadLetterStore(3);
    const big = raw('rw/telemetry/wm-0001', `{"x":"${'a'.repeat(10_000)}"}`);
    const entry = store.add(big, rejectionOf(big));
    expect(entry.reason).toBe('too_large');
    expect(Buffer.byteLength(entry.payloadPreview)).toBe(256);
    expect(entry.payloadBytes).toBe(big.payload.length);

    const text = `${'a'.repeat(255)}新华街道`; // byte 256 falls inside 新 (3 bytes)
    expect(payloadPreview(Buffer.from(text))).toBe('a'.repeat(255));
    expect(payloadPreview(Buffer.from(`${'a'.repeat(253)}新华`))).toBe(`${'a'.repeat(253)}新`);
    expect(payloadPreview(Buffer.from('短'))).toBe('短');
  });

  it('clips absurd topics', () => {
    const store = new DeadLetterStore(3);
    const message = raw(`rw/telemetry/${'x'.repeat(60_000)}/y`, '{}');
    const entry = store.add(message, rejectionOf(message));
    expect(entry.reason).toBe('bad_topic');
    expect(entry.topic.length).toBeLessThanOrEqual(257);
    expect(entry.message.length).toBeLessThanOrEqual(513);
  });

  it('refuses a capacity below one', () => {
    let code: string | undefined;
    try {
      new DeadLetterStore(0);
    } catch (err) {
      code = (err as RiskwatchError).code;
    }
    expect(code).toBe('ERR_CONFIG_INVALID');
  });
});
