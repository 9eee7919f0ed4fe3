import type { Alert } from '../src/contracts/alert.js';
import type { IncidentLabel } from '../src/contracts/recording.js';

/** Detection quality of one scenario against the simulator's labels. */
export interface ScenarioScore {
  scenarioId: string;
  /** Labelled incidents this scenario is expected to catch. */
  incidents: number;
  detected: number;
  /** detected ÷ incidents; null without incidents. */
  recall: number | null;
  /** From the incident's start to the first matching alert (ms). */
  delayMs: { p50: number | null; max: number | null };
  /** Alerts of this scenario that match no labelled incident. */
  falseAlarms: number;
  /** falseAlarms per 1 000 device-days of simulated fleet time. */
  falseAlarmsPer1000DeviceDays: number;
}

export interface ScoreOptions {
  /** Devices × days the recording covers (the denominator of the false-alarm rate). */
  deviceDays: number;
  /**
   * An alert still belongs to an incident this long after the incident ended (a meter that comes
   * back is reported offline a little after the silence ended, an inactivity alert may clear late).
   */
  graceMs?: number;
}

/**
 * Scores alerts (from a replay of a simulated recording) against the incidents the simulator
 * injected. An alert matches an incident when its scenario is one the incident expects, it concerns
 * one of the incident's devices (or its household), and it opened between the incident's start and
 * its end plus the grace. Every other alert of the scenario is a false alarm: normal traffic that
 * raised it.
 */
export function scoreDetection(labels: readonly IncidentLabel[], alerts: readonly Alert[], options: ScoreOptions): ScenarioScore[] {
  const grace = options.graceMs ?? 6 * 3_600_000;
  const scenarios = new Set<string>([...labels.flatMap((l) => l.expectedScenarios), ...alerts.map((a) => a.scenarioId)]);
  const matched = new Set<Alert>();
  const scores: ScenarioScore[] = [];
  for (const scenarioId of [...scenarios].sort()) {
    const expected = labels.filter((l) => l.expectedScenarios.includes(scenarioId));
    const ofScenario = alerts.filter((a) => a.scenarioId === scenarioId);
    const delays: number[] = [];
    for (const label of expected) {
      const devices = new Set(label.deviceIds);
      const hits = ofScenario.filter((a) =>
        (devices.has(a.deviceId) || (label.subjectId !== undefined && a.subjectId === label.subjectId)) &&
        a.openedAt >= label.startAt && a.openedAt <= (label.endAt ?? Infinity) + grace);
      for (const hit of hits) matched.add(hit);
      if (hits.length > 0) delays.push(Math.min(...hits.map((a) => a.openedAt)) - label.startAt);
    }
    const falseAlarms = ofScenario.filter((a) => !matched.has(a)).length;
    delays.sort((a, b) => a - b);
    scores.push({
      scenarioId,
      incidents: expected.length,
      detected: delays.length,
      recall: expected.length > 0 ? delays.length / expected.length : null,
      delayMs: { p50: delays.length > 0 ? delays[Math.floor((delays.length - 1) / 2)]! : null, max: delays.at(-1) ?? null },
      falseAlarms,
      falseAlarmsPer1000DeviceDays: options.deviceDays > 0 ? (falseAlarms / options.deviceDays) * 1000 : 0,
    });
  }
  return scores;
}
