import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../src/contracts/detection.js';
import type { OfflineScenario } from '../../../src/models/index.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { createOfflineModel } from '../../../src/models/offline.js';
import { makeContext, makeReading } from '../../helpers/device-context.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

function scenario(overrides: Partial<OfflineScenario> = {}): OfflineScenario {
  return {
    id: 'detector-offline',
    name: 'Detector offline',
    category: 'device',
    model: 'offline',
    appliesTo: { deviceTypes: ['smoke_detector', 'gas_detector'] },
    keyBy: 'device',
    alert: { cooldownMs: 0, flapping: { maxChanges: 5, windowMs: HOUR } },
    dispatch: true,
    levels: { yellow: 1 * HOUR, orange: 6 * HOUR, red: 24 * HOUR },
    ...overrides,
  };
}

function setup(overrides: Partial<OfflineScenario> = {}) {
  const scheduler = new ManualScheduler(0);
  const detections: Detection[] = [];
  const model = createOfflineModel(scenario(overrides), { scheduler, emit: (d) => detections.push(d) });
  return { scheduler, detections, model, seen: () => detections.map((d) => `${d.key}:${d.verdict}@${d.eventTime / MINUTE}m`) };
}

const smoke = makeContext({ deviceId: 'sd-1', type: 'smoke_detector', subject: { id: 'hh-1' } });

describe('offline model', () => {
  it('raises each level in order as the silence grows, on time', () => {
    const { scheduler, detections, model, seen } = setup();
    scheduler.advanceTo(10 * MINUTE);
    model.onReading(makeReading(smoke, 10 * MINUTE, { battery_pct: 80 }));
    scheduler.advanceTo(3 * 24 * HOUR);
    expect(seen()).toEqual(['sd-1:ok@10m', 'sd-1:yellow@70m', 'sd-1:orange@370m', 'sd-1:red@1450m']);
    expect(detections.map((d) => d.detectedAt)).toEqual([10, 70, 370, 1450].map((m) => m * MINUTE));
    expect(detections[1]!.summary).toBe('no message for 1h');
    expect(detections[1]!.evidence).toEqual({
      readings: [{ deviceId: 'sd-1', ts: 10 * MINUTE, metrics: { battery_pct: 80 } }],
      facts: { silentMs: HOUR, lastSeenAt: 10 * MINUTE },
    });
    expect(scheduler.pendingCount).toBe(0); // red is the top: nothing left to wait for
  });

  it('a message after an offline verdict emits ok and restarts the ladder', () => {
    const { scheduler, model, seen } = setup();
    model.onReading(makeReading(smoke, 0, {}));
    scheduler.advanceTo(7 * HOUR);
    model.onReading(makeReading(smoke, 7 * HOUR, { battery_pct: 79 }));
    scheduler.advanceTo(8 * HOUR + 30 * MINUTE);
    expect(seen()).toEqual(['sd-1:ok@0m', 'sd-1:yellow@60m', 'sd-1:orange@360m', 'sd-1:ok@420m', 'sd-1:yellow@480m']);
  });

  it('a late message lowers the alert only to the silence its event time leaves, never clears it early', () => {
    const { scheduler, model, seen, detections } = setup();
    model.onReading(makeReading(smoke, 0, {}));
    scheduler.advanceTo(7 * HOUR);
    // Delivered now, sent at 00:30: the device has still said nothing for 6.5 h.
    model.onReading(makeReading(smoke, 30 * MINUTE, {}, 7 * HOUR));
    expect(seen()).toEqual(['sd-1:ok@0m', 'sd-1:yellow@60m', 'sd-1:orange@360m']);
    // Sent at 05:00: 2 h of silence left, yellow.
    model.onReading(makeReading(smoke, 5 * HOUR, {}, 7 * HOUR));
    expect(seen().slice(3)).toEqual(['sd-1:yellow@300m']);
    expect(detections.at(-1)!.summary).toBe('late message: still no message for 1h');
    scheduler.advanceTo(12 * HOUR); // orange again 6 h after 05:00, with no clear in between
    expect(seen().slice(3)).toEqual(['sd-1:yellow@300m', 'sd-1:orange@660m']);
    model.onReading(makeReading(smoke, 12 * HOUR, {}));
    expect(seen().slice(5)).toEqual(['sd-1:ok@720m']);
  });

  it('stays quiet for a device that keeps reporting', () => {
    const { scheduler, model, seen } = setup();
    for (let t = 0; t <= 3 * 24 * HOUR; t += 10 * MINUTE) {
      scheduler.advanceTo(t);
      model.onReading(makeReading(smoke, t, { battery_pct: 80 }));
    }
    scheduler.advanceTo(3 * 24 * HOUR + 30 * MINUTE);
    expect(seen()).toEqual(['sd-1:ok@0m']);
    expect(scheduler.pendingCount).toBe(1);
  });

  it('keys by device even when the scenario says subject', () => {
    const { scheduler, model, seen } = setup({ keyBy: 'subject' });
    const other = makeContext({ deviceId: 'sd-2', type: 'smoke_detector', subject: { id: 'hh-1' } });
    model.onReading(makeReading(smoke, 0, {}));
    model.onReading(makeReading(other, 0, {}));
    scheduler.advanceTo(30 * MINUTE);
    model.onReading(makeReading(other, 30 * MINUTE, {})); // the household's other device says nothing about sd-1
    scheduler.advanceTo(60 * MINUTE);
    expect(seen()).toEqual(['sd-1:ok@0m', 'sd-2:ok@0m', 'sd-1:yellow@60m']);
    expect(model.size).toBe(2);
  });

  it('watches 10 000 devices with one TimerQueue: at most one scheduler action pending', () => {
    const { scheduler, detections, model } = setup({ levels: { yellow: HOUR, orange: 2 * HOUR } });
    const devices = Array.from({ length: 10_000 }, (_, i) => makeContext({ deviceId: `sd-${i}`, type: 'smoke_detector' }));
    let maxPending = 0;
    // Every device reports every 10 minutes, staggered by device; the odd ones stop at 30 minutes.
    for (let t = 0; t <= 4 * HOUR; t += MINUTE) {
      scheduler.advanceTo(t);
      for (let i = (t / MINUTE) % 10; i < devices.length; i += 10) {
        if (i % 2 === 1 && t > 30 * MINUTE) continue;
        model.onReading(makeReading(devices[i]!, t, {}));
      }
      maxPending = Math.max(maxPending, scheduler.pendingCount);
    }
    expect(maxPending).toBe(1);
    expect(model.size).toBe(10_000);
    const raised = detections.filter((d) => d.verdict !== 'ok');
    expect(raised).toHaveLength(10_000); // 5 000 devices × yellow, orange
    for (const d of raised) {
      const i = Number(d.key.slice(3));
      expect(i % 2).toBe(1);
      const lastSeen = d.evidence.facts.lastSeenAt as number;
      expect(lastSeen).toBeLessThanOrEqual(30 * MINUTE);
      expect(d.eventTime).toBe(lastSeen + (d.verdict === 'yellow' ? HOUR : 2 * HOUR));
      expect(d.detectedAt).toBe(d.eventTime);
    }
    model.dispose();
    expect(scheduler.pendingCount).toBe(0);
  });

  it('rejects levels that are not increasing durations', () => {
    const invalid = expect.objectContaining({ code: 'ERR_SCENARIO_INVALID' });
    const make = (levels: OfflineScenario['levels']) => () => setup({ levels });
    expect(make({ yellow: 2 * HOUR, orange: HOUR })).toThrow(invalid);
    expect(make({ yellow: 0 })).toThrow(invalid);
    expect(make({})).toThrow(invalid);
  });
});
