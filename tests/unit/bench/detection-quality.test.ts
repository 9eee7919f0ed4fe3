import { describe, expect, it } from 'vitest';
import type { IncidentLabel } from '../../../src/contracts/recording.js';
import { scoreDetection } from '../../../bench/detection-quality.js';
import { makeAlert } from '../../helpers/store-fixtures.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-23T06:00:00+08:00');

const labels: IncidentLabel[] = [
  { id: 'i1', kind: 'elderly_no_water', deviceIds: ['wm-1'], subjectId: 'hh-1', startAt: T0, endAt: T0 + 30 * HOUR, expectedScenarios: ['elderly-no-water'] },
  { id: 'i2', kind: 'elderly_no_water', deviceIds: ['wm-2'], subjectId: 'hh-2', startAt: T0, endAt: T0 + 30 * HOUR, expectedScenarios: ['elderly-no-water'] },
  { id: 'i3', kind: 'gas_leak', deviceIds: ['gd-1'], startAt: T0 + 2 * HOUR, endAt: T0 + 3 * HOUR, expectedScenarios: ['gas-concentration'] },
];

describe('detection quality against the simulator labels', () => {
  it('counts detections with their delay, misses and false alarms per 1 000 device-days', () => {
    const alerts = [
      // i1 caught after 8 h (by its household key), and again later (same incident: not a false alarm).
      makeAlert({ id: 'a1', scenarioId: 'elderly-no-water', deviceId: 'wm-1', subjectId: 'hh-1', openedAt: T0 + 8 * HOUR }),
      makeAlert({ id: 'a2', scenarioId: 'elderly-no-water', deviceId: 'wm-1', subjectId: 'hh-1', openedAt: T0 + 26 * HOUR }),
      // i2 missed; an elderly-no-water alert on a household with no incident is a false alarm.
      makeAlert({ id: 'a3', scenarioId: 'elderly-no-water', deviceId: 'wm-9', subjectId: 'hh-9', openedAt: T0 + 9 * HOUR }),
      // i3 caught 40 minutes into the leak.
      makeAlert({ id: 'a4', scenarioId: 'gas-concentration', deviceId: 'gd-1', subjectId: undefined, openedAt: T0 + 2 * HOUR + 40 * 60_000 }),
      // A gas alert before the leak started is not the leak.
      makeAlert({ id: 'a5', scenarioId: 'gas-concentration', deviceId: 'gd-1', subjectId: undefined, openedAt: T0 + HOUR }),
      // A scenario no incident expects: every alert of it is a false alarm.
      makeAlert({ id: 'a6', scenarioId: 'meter-offline', deviceId: 'wm-3', openedAt: T0 + 5 * HOUR }),
    ];
    const scores = scoreDetection(labels, alerts, { deviceDays: 2000 });
    expect(scores).toEqual([
      { scenarioId: 'elderly-no-water', incidents: 2, detected: 1, recall: 0.5, delayMs: { p50: 8 * HOUR, max: 8 * HOUR }, falseAlarms: 1, falseAlarmsPer1000DeviceDays: 0.5 },
      { scenarioId: 'gas-concentration', incidents: 1, detected: 1, recall: 1, delayMs: { p50: 40 * 60_000, max: 40 * 60_000 }, falseAlarms: 1, falseAlarmsPer1000DeviceDays: 0.5 },
      { scenarioId: 'meter-offline', incidents: 0, detected: 0, recall: null, delayMs: { p50: null, max: null }, falseAlarms: 1, falseAlarmsPer1000DeviceDays: 0.5 },
    ]);
  });
});
