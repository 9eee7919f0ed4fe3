import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import type { RawMessage } from '../../../src/contracts/reading.js';
import type { EnrichedReading } from '../../../src/contracts/registry.js';
import type { RiskwatchError } from '../../../src/core/errors.js';
import { DeadLetterStore } from '../../../src/ingest/dead-letters.js';
import { ingestTelemetry } from '../../../src/ingest/ingest-operator.js';
import { createTelemetryDecoder, type TelemetryDecoder } from '../../../src/ingest/telemetry-decoder.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';

const NOW = Date.UTC(2024, 10, 22, 10);
const registry = loadRegistryFile('registry/demo.yaml');
const decoder = createTelemetryDecoder({}, registry);

function raw(topic: string, payload: string | object, receivedAt = NOW): RawMessage {
  return { topic, payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), receivedAt };
}

function garbage(i: number): RawMessage {
  switch (i % 6) {
    case 0: return raw(`rw/telemetry/wm-0001/${i}`, '{}');
    case 1: return raw('rw/telemetry/wm-0001', `{"metrics":${i}`);
    case 2: return raw('rw/telemetry/wm-0001', { metrics: { flow_lpm: 'x' } });
    case 3: return raw(`rw/telemetry/ghost-${i}`, { metrics: { flow_lpm: 0 } });
    case 4: return raw('rw/telemetry/wm-0001', { ts: NOW + 86_400_000, metrics: { flow_lpm: 0 } });
    default: return raw('rw/telemetry/wm-0001', 'x'.repeat(70_000));
  }
}

function harness(d: TelemetryDecoder = decoder) {
  const input = new Subject<RawMessage>();
  const readings: EnrichedReading[] = [];
  const rejected: RiskwatchError[] = [];
  const store = new DeadLetterStore(1000);
  const state = { errored: false, completed: false };
  const subscription = input
    .pipe(ingestTelemetry(d, (message, err) => {
      rejected.push(err);
      store.add(message, err);
    }))
    .subscribe({ next: (r) => readings.push(r), error: () => { state.errored = true; }, complete: () => { state.completed = true; } });
  return { input, readings, rejected, store, state, subscription };
}

describe('ingestTelemetry operator', () => {
  it('survives a burst of 10 000 garbage messages and still emits the valid reading that follows', () => {
    const h = harness();
    for (let i = 0; i < 10_000; i++) h.input.next(garbage(i));
    h.input.next(raw('rw/telemetry/wm-0003', { ts: NOW - 1000, metrics: { flow_lpm: 0.5 } }));

    expect(h.readings).toHaveLength(1);
    expect(h.readings[0]).toMatchObject({ deviceId: 'wm-0003', ts: NOW - 1000, metrics: { flow_lpm: 0.5 } });
    expect(h.rejected).toHaveLength(10_000);
    expect(h.state).toEqual({ errored: false, completed: false });
    expect(h.store.total).toBe(10_000);
    expect(h.store.size).toBe(1000);
    const third = 10_000 / 6;
    expect(h.store.counts()).toEqual({
      bad_topic: Math.ceil(third), malformed: Math.ceil(third), schema: Math.ceil(third), unknown_device: Math.ceil(third),
      clock_skew: Math.floor(third), too_large: Math.floor(third), internal: 0,
    });
  });

  it('emits the readings of a batch in event-time order', () => {
    const h = harness();
    h.input.next(raw('rw/telemetry/wm-0002', { readings: [{ ts: NOW - 1000, metrics: { total_m3: 2 } }, { ts: NOW - 2000, metrics: { total_m3: 1 } }] }));
    expect(h.readings.map((r) => r.metrics.total_m3)).toEqual([1, 2]);
  });

  it('reports a bug in the decoder as ERR_PIPELINE_STAGE, not as bad input, and carries on', () => {
    let calls = 0;
    const flaky: TelemetryDecoder = {
      options: decoder.options,
      decode(message) {
        calls++;
        if (calls === 1) throw new TypeError('cannot read properties of undefined');
        return decoder.decode(message);
      },
    };
    const h = harness(flaky);
    const good = raw('rw/telemetry/wm-0003', { metrics: { flow_lpm: 1 } });
    h.input.next(good);
    h.input.next(good);
    expect(h.rejected.map((e) => e.code)).toEqual(['ERR_PIPELINE_STAGE']);
    expect(h.rejected[0]!.details).toMatchObject({ stage: 'ingest', cause: 'TypeError' });
    expect(h.store.counts().internal).toBe(1);
    expect(h.readings).toHaveLength(1);
    expect(h.state.errored).toBe(false);
  });

  it('passes completion and source errors through, and stops on unsubscribe', () => {
    const h = harness();
    h.input.complete();
    expect(h.state.completed).toBe(true);

    const e = harness();
    e.input.error(new Error('broker gone'));
    expect(e.state.errored).toBe(true);

    const u = harness();
    u.subscription.unsubscribe();
    u.input.next(raw('rw/telemetry/wm-0003', { metrics: { flow_lpm: 1 } }));
    expect(u.readings).toHaveLength(0);
    expect(u.input.observed).toBe(false);
  });
});
