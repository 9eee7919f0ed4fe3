import { describe, expect, it } from 'vitest';
import { AlertManager } from '../../../src/alerts/alert-manager.js';
import type { AlertEvent } from '../../../src/contracts/alert.js';
import type { Detection } from '../../../src/contracts/detection.js';
import type { Verdict } from '../../../src/contracts/level.js';
import type { ThresholdScenario } from '../../../src/models/index.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { makeContext } from '../../helpers/device-context.js';

const MINUTE = 60_000;
const ctx = makeContext({ deviceId: 'gd-1', type: 'gas_detector', subject: { id: 'hh-1' } });

function scenario(overrides: Partial<ThresholdScenario['alert']> = {}): ThresholdScenario {
  return {
    id: 'gas', name: 'Gas', category: 'gas', model: 'threshold', appliesTo: { deviceTypes: ['gas_detector'] }, keyBy: 'device',
    alert: { cooldownMs: 0, flapping: { maxChanges: 100, windowMs: 60 * MINUTE }, ...overrides },
    dispatch: true, metric: 'gas_lel_pct', levels: { red: 'value >= 25', orange: 'value >= 10' }, for: {}, reset: {}, maxGapMs: 3_600_000,
  };
}

function setup(alert: Partial<ThresholdScenario['alert']> = {}) {
  const scheduler = new ManualScheduler(0);
  const s = scenario(alert);
  const timed: AlertEvent[] = [];
  let suppressed = 0;
  let ids = 0;
  const manager = new AlertManager({
    scheduler,
    scenario: (id) => (id === s.id ? s : undefined),
    newId: () => `a${++ids}`,
    onSuppressed: () => suppressed++,
    onTimedEvent: (e) => timed.push(e),
  });
  const detect = (verdict: Verdict, key = 'gd-1'): AlertEvent | undefined => {
    const d: Detection = {
      scenarioId: 'gas', key, verdict, eventTime: scheduler.now(), detectedAt: scheduler.now(),
      summary: `verdict ${verdict}`, evidence: { readings: [], facts: {} }, ctx,
    };
    return manager.handle(d);
  };
  return { scheduler, manager, detect, timed, suppressed: () => suppressed };
}

describe('alert manager', () => {
  it('opens one alert per (scenario, key), escalates, de-escalates and clears it', () => {
    const { detect, scheduler, manager } = setup();
    expect(detect('ok')).toBeUndefined(); // nothing open: an ok is silent
    const opened = detect('orange');
    expect(opened?.type).toBe('opened');
    expect(opened?.alert).toMatchObject({ id: 'a1', level: 'orange', status: 'open', deviceId: 'gd-1', subjectId: 'hh-1', gridId: 'grid-1', communityId: 'community-1', streetId: 'street-1' });
    expect(detect('orange')).toBeUndefined(); // dedup
    scheduler.advanceBy(MINUTE);
    const up = detect('red');
    expect(up).toMatchObject({ type: 'escalated', from: 'orange', to: 'red' });
    expect(up?.alert.id).toBe('a1');
    const down = detect('orange');
    expect(down).toMatchObject({ type: 'deescalated', from: 'red', to: 'orange' });
    expect(down?.alert.peakLevel).toBe('red');
    const cleared = detect('ok');
    expect(cleared).toMatchObject({ type: 'cleared', from: 'orange' });
    expect(cleared?.alert.status).toBe('cleared');
    expect(cleared?.alert.history.map((h) => h.type)).toEqual(['opened', 'escalated', 'deescalated', 'cleared']);
    expect(manager.openCount).toBe(0);
    // another key is another alert
    expect(detect('orange', 'gd-2')?.alert.id).toBe('a2');
  });

  it('cooldown suppresses a re-opening at or below the cleared peak, but not a higher level, and never red', () => {
    const { detect, scheduler, suppressed, timed } = setup({ cooldownMs: 10 * MINUTE });
    detect('orange');
    detect('ok');
    scheduler.advanceBy(MINUTE);
    expect(detect('orange')).toBeUndefined();
    expect(suppressed()).toBe(1);
    expect(detect('red')?.type).toBe('opened'); // higher than the peak, and red: breaks through
    detect('ok');
    scheduler.advanceBy(MINUTE);
    expect(detect('red')?.type).toBe('opened'); // red at the peak: still never suppressed
    detect('ok');
    scheduler.advanceBy(MINUTE);
    expect(detect('orange')).toBeUndefined(); // cleared at 2 min: suppressed until 12 min
    expect(suppressed()).toBe(2);
    expect(timed).toHaveLength(0);
    scheduler.advanceBy(10 * MINUTE);
    // Cooldown delays, never silences: models report only changes, so the orange that still
    // stands opens when the cooldown ends (it used to be forgotten, leaving the risk unreported).
    expect(timed.map((e) => [e.type, e.to, e.at])).toEqual([['opened', 'orange', 12 * MINUTE]]);
    expect(detect('orange')).toBeUndefined(); // dedup: that alert is open now
  });

  it('forgets a verdict the cooldown suppressed once the model says ok', () => {
    const { detect, scheduler, timed, manager, suppressed } = setup({ cooldownMs: 10 * MINUTE });
    detect('orange');
    detect('ok');
    scheduler.advanceBy(MINUTE);
    expect(detect('orange')).toBeUndefined();
    scheduler.advanceBy(MINUTE);
    expect(detect('ok')).toBeUndefined();
    scheduler.advanceBy(20 * MINUTE);
    expect(timed).toHaveLength(0);
    expect(manager.openCount).toBe(0);
    expect(suppressed()).toBe(1);
  });

  it('a de-escalation is not a clear: no cooldown applies, the order-bearing alert stays open', () => {
    const { detect, scheduler, suppressed, manager } = setup({ cooldownMs: 5 * MINUTE });
    detect('red');
    scheduler.advanceBy(2_000);
    expect(detect('yellow')).toMatchObject({ type: 'deescalated', from: 'red', to: 'yellow' });
    scheduler.advanceBy(MINUTE);
    expect(detect('yellow')).toBeUndefined(); // dedup, not suppression
    expect(suppressed()).toBe(0);
    expect(manager.openAlerts().map((a) => a.level)).toEqual(['yellow']);
  });

  it('holds clears while flapping and releases them once the window passes quietly', () => {
    const { detect, scheduler, timed } = setup({ flapping: { maxChanges: 3, windowMs: 10 * MINUTE } });
    detect('orange'); // change 1
    scheduler.advanceBy(MINUTE);
    detect('red'); // change 2
    scheduler.advanceBy(MINUTE);
    const down = detect('orange'); // change 3 → now flapping
    expect(down?.type).toBe('deescalated');
    scheduler.advanceBy(MINUTE);
    expect(detect('ok')).toBeUndefined(); // held: the alert stays open
    const red = detect('red'); // escalation is never held
    expect(red?.type).toBe('escalated');
    expect(red?.alert.flapping).toBe(true);
    scheduler.advanceBy(MINUTE);
    expect(detect('ok')).toBeUndefined();
    expect(timed).toHaveLength(0);
    scheduler.advanceBy(10 * MINUTE); // quiet for the whole window
    expect(timed).toHaveLength(1);
    expect(timed[0]).toMatchObject({ type: 'cleared', from: 'red' });
    expect(timed[0]!.alert.history.some((h) => h.type === 'flapping')).toBe(true);
  });

  it('restores open alerts so a restarted engine neither duplicates nor forgets them', () => {
    const first = setup();
    const opened = first.detect('orange')!;
    const second = setup();
    second.manager.restore([opened.alert]);
    expect(second.detect('orange')).toBeUndefined();
    expect(second.detect('ok')).toMatchObject({ type: 'cleared' });
    expect(opened.alert.id).toBe('a1');
  });
});
