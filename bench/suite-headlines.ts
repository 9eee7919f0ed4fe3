import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The suite summary's first table: one line per figure issue 4 sets a target for, read back from
 * the JSON each benchmark wrote. A benchmark that did not run (or failed before writing) gives a
 * line saying so rather than no line: a missing figure must be as visible as a missed one.
 *
 * Each line carries the one number it is judged by (`figure`), so that over several rounds
 * (`npm run bench -- --full` runs three) `combineRounds` can show the median round's line with
 * every round's figure and their spread beside it: one round on a shared 2-core machine can be
 * off by a factor, and a reader must see how far the rounds agree before trusting the median.
 */
export interface Headline {
  /** The issue's benchmark number. */
  item: number;
  measure: string;
  value: string;
  target: string;
  /** null: no target, or not measured. */
  met: boolean | null;
  /** The number the line is judged by (the one rounds are compared on); null: not measured. */
  figure: number | null;
  /** What `figure` is, for the spread column: `p99`, `best`, `p50 ratio`, … */
  figureName: string;
  /** Printed after the figure: ` ms`, ` msg/s`, `×`, … */
  unit: string;
  /** Which way is better (an even number of rounds shows the worse of the two middle ones). */
  better: 'lower' | 'higher';
}

/** A headline over every round: the median round's line, with each round's figure and the spread. */
export interface RoundsHeadline extends Headline {
  /** Each round's figure, in round order (null: that round did not measure it). */
  rounds: (number | null)[];
  /** The lowest and highest figure of the rounds that measured it; null when none did. */
  spread: { min: number; max: number } | null;
  /** The round (1-based) whose line this is: the median round by `figure`; null when none measured it. */
  medianRound: number | null;
}

/* The shapes below are the parts of each benchmark's JSON the summary reads (see each bench file). */
interface Percentiles { count: number; p50: number; p99: number; p999: number; max: number }
interface Ratio { rate: number; p50: number | null; p99: number | null }
interface LatencyJson {
  config: { devices: number };
  latency: { system: string; rate: number; latencyMs: Percentiles; missing: number; lost: number | null }[];
  ratioToAedesHop: Ratio[];
  /** Absent in results written before the durable hop existed. */
  ratioToDurableHop?: Ratio[];
  throughput: { system: string; bestMsgPerSec: number | null; stoppedBecause: string }[];
  throughputRatioToNodeRed: number | null;
  targets: { p99MsAt20k: number; msgPerSec: number; timesNodeRed: number; p50ToDurableHop: number };
}
interface TimersJson {
  config: { devices: number; windowSeconds: number };
  detectionLatenessMs: Percentiles;
  announcementLatenessMs: Percentiles;
}
interface MemoryJson { config: { devices: number }; heap: { perDeviceBytes: number } }
interface ReplayJson { readings: number; readingsPerSecond: number; alertEvents?: number; ordersCreated?: number }
interface DetectionJson {
  config: { households: number; days: number };
  totals: { incidents: number; detected: number; missed: number; falseAlarms: number; falseAlarmsPer1000DeviceDays: number };
}

const n = (v: number) => v.toLocaleString('en');
type Figure = Pick<Headline, 'figure' | 'figureName' | 'unit' | 'better'>;
const notRun = (item: number, measure: string, target: string, figure: Omit<Figure, 'figure'>): Headline =>
  ({ item, measure, value: 'not measured', target, met: null, figure: null, ...figure });

/* What each kind of line is judged by. */
const P99: Omit<Figure, 'figure'> = { figureName: 'p99', unit: ' ms', better: 'lower' };
const BEST: Omit<Figure, 'figure'> = { figureName: 'best', unit: ' msg/s', better: 'higher' };
const P50_RATIO: Omit<Figure, 'figure'> = { figureName: 'p50 ratio', unit: '×', better: 'lower' };
const TIMES: Omit<Figure, 'figure'> = { figureName: 'ratio', unit: '×', better: 'higher' };

function read<T>(dir: string, name: string): T | undefined {
  const file = join(dir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

function latencyLines(r: LatencyJson | undefined): Headline[] {
  if (!r) {
    return [
      notRun(1, 'publish → order p99 at 20 000 msg/s', '≤ 10 ms', P99), notRun(2, 'max sustained throughput', '≥ 150 000 msg/s', BEST),
      notRun(6, 'riskwatch ÷ durable hop, p50', '≤ 1.5×', P50_RATIO),
    ];
  }
  const lines: Headline[] = [];
  const ours = r.latency.filter((s) => s.system === 'riskwatch');
  for (const step of ours) {
    const at20k = step.rate === 20_000;
    lines.push({
      item: 1,
      measure: `publish → order at ${n(step.rate)} msg/s, ${n(r.config.devices)} devices: p50 / p99 / p99.9 / max`,
      value: `${step.latencyMs.p50} / ${step.latencyMs.p99} / ${step.latencyMs.p999} / ${step.latencyMs.max} ms${step.missing ? `, ${step.missing} missing` : ''}`,
      target: at20k ? `p99 ≤ ${r.targets.p99MsAt20k} ms` : '',
      met: at20k ? step.latencyMs.p99 <= r.targets.p99MsAt20k && step.missing === 0 : null,
      figure: step.latencyMs.p99, ...P99,
    });
  }
  const best = r.throughput.find((t) => t.system === 'riskwatch');
  lines.push({
    item: 2, measure: 'max sustained throughput, nothing lost, p99 < 1 s',
    value: best?.bestMsgPerSec ? `${n(best.bestMsgPerSec)} msg/s (stopped: ${best.stoppedBecause})` : `none (${best?.stoppedBecause ?? 'not run'})`,
    target: `≥ ${n(r.targets.msgPerSec)} msg/s`, met: (best?.bestMsgPerSec ?? 0) >= r.targets.msgPerSec,
    // A search where no step passed counts as 0 msg/s in the spread: it is a round, and the worst one.
    figure: best ? (best.bestMsgPerSec ?? 0) : null, ...BEST,
  });
  for (const ratio of r.ratioToDurableHop ?? []) {
    if (ratio.p50 === null || ratio.p99 === null) continue;
    lines.push({
      item: 6, measure: `riskwatch ÷ durable hop at ${n(ratio.rate)} msg/s (p50 / p99): the engine's own overhead`, value: `${ratio.p50}× / ${ratio.p99}×`,
      target: `p50 ≤ ${r.targets.p50ToDurableHop}×`, met: ratio.p50 <= r.targets.p50ToDurableHop, figure: ratio.p50, ...P50_RATIO,
    });
  }
  // Information, no target: the bare hop commits nothing, so no durable system comes near it.
  for (const ratio of r.ratioToAedesHop) {
    if (ratio.p50 === null || ratio.p99 === null) continue;
    lines.push({
      item: 6, measure: `riskwatch ÷ bare aedes hop at ${n(ratio.rate)} msg/s (p50 / p99), information`, value: `${ratio.p50}× / ${ratio.p99}×`,
      target: '', met: null, figure: ratio.p50, ...P50_RATIO,
    });
  }
  const nodeRed = r.throughput.find((t) => t.system === 'Node-RED');
  if (nodeRed) {
    lines.push({
      item: 6, measure: 'throughput ÷ Node-RED\'s', value: r.throughputRatioToNodeRed === null ? `n/a (Node-RED: ${nodeRed.stoppedBecause})` : `${r.throughputRatioToNodeRed}× (Node-RED ${nodeRed.bestMsgPerSec === null ? 'none' : n(nodeRed.bestMsgPerSec)} msg/s)`,
      target: `≥ ${r.targets.timesNodeRed}×`, met: r.throughputRatioToNodeRed === null ? null : r.throughputRatioToNodeRed >= r.targets.timesNodeRed,
      figure: r.throughputRatioToNodeRed, ...TIMES,
    });
  }
  return lines;
}

function timerLine(r: TimersJson | undefined): Headline {
  if (!r) return notRun(3, 'timer firing lateness p99', '≤ 50 ms', P99);
  return {
    item: 3, measure: `${n(r.config.devices)} armed offline timers due over ${r.config.windowSeconds} s: firing lateness p99 (alert announced p99)`,
    value: `${r.detectionLatenessMs.p99} ms (${r.announcementLatenessMs.p99} ms)`, target: '≤ 50 ms', met: r.detectionLatenessMs.p99 <= 50 && r.detectionLatenessMs.count === r.config.devices,
    figure: r.detectionLatenessMs.p99, ...P99,
  };
}

function memoryLines(dir: string): Headline[] {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^memory-\d+\.json$/.test(f)) : [];
  const bytes: Omit<Figure, 'figure'> = { figureName: 'heap per device', unit: ' B', better: 'lower' };
  if (files.length === 0) return [notRun(4, 'heap per device', '≤ 1 KB', bytes)];
  return files
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as MemoryJson)
    .sort((a, b) => a.config.devices - b.config.devices)
    .map((r) => ({
      item: 4, measure: `heap per device at ${n(r.config.devices)} devices`, value: `${n(r.heap.perDeviceBytes)} B`, target: '≤ 1 024 B', met: r.heap.perDeviceBytes <= 1024,
      figure: r.heap.perDeviceBytes, ...bytes,
    }));
}

function replayLine(r: ReplayJson | undefined): Headline {
  const rate: Omit<Figure, 'figure'> = { figureName: 'readings/s', unit: ' readings/s', better: 'higher' };
  if (!r) return notRun(5, 'replay throughput', '≥ 1 000 000 readings/s', rate);
  return {
    item: 5, measure: `replay of a ${n(r.readings)}-reading recording, virtual clock, whole pipeline`, value: `${n(Math.round(r.readingsPerSecond))} readings/s`,
    target: '≥ 1 000 000 readings/s', met: r.readingsPerSecond >= 1_000_000, figure: Math.round(r.readingsPerSecond), ...rate,
  };
}

function detectionLine(r: DetectionJson | undefined): Headline {
  const errors: Omit<Figure, 'figure'> = { figureName: 'missed + false alarms', unit: '', better: 'lower' };
  if (!r) return notRun(7, 'detection quality', '', errors);
  const t = r.totals;
  return {
    item: 7, measure: `detection on ${n(r.config.households)} simulated households × ${r.config.days} days: incidents detected, false alarms per 1 000 device-days`,
    value: `${t.detected} of ${t.incidents}, ${t.falseAlarms} false alarms (${t.falseAlarmsPer1000DeviceDays})`, target: 'every incident, no false alarm', met: t.missed === 0 && t.falseAlarms === 0,
    figure: t.missed + t.falseAlarms, ...errors,
  };
}

interface BurstJson {
  config: { rounds: number; burst: number; spreadMs: number };
  delayMs: Percentiles;
  missingProbes: number;
  target: { delayMs: number };
}

function burstLine(r: BurstJson | undefined): Headline {
  const delay: Omit<Figure, 'figure'> = { figureName: 'worst delay', unit: ' ms', better: 'lower' };
  if (!r) return notRun(8, 'a burst of clears vs a new gas order: added delay', '≤ 20 ms', delay);
  return {
    item: 8, measure: `${n(r.config.burst)} alert clears within ${r.config.spreadMs} ms: delay added to an unrelated new gas order (p50 / worst of ${r.config.rounds})`,
    value: `${r.delayMs.p50} / ${r.delayMs.max} ms${r.missingProbes ? `, ${r.missingProbes} lost` : ''}`, target: `≤ ${r.target.delayMs} ms`,
    met: r.missingProbes === 0 && r.delayMs.max <= r.target.delayMs, figure: r.delayMs.max, ...delay,
  };
}

/** Every headline of the results in `dir`, in the issue's order. */
export function headlines(dir: string): Headline[] {
  const lines = [
    ...latencyLines(read<LatencyJson>(dir, 'latency')),
    timerLine(read<TimersJson>(dir, 'timers')),
    ...memoryLines(dir),
    replayLine(read<ReplayJson>(dir, 'replay')),
    detectionLine(read<DetectionJson>(dir, 'detection')),
    burstLine(read<BurstJson>(dir, 'burst')),
  ];
  return lines.sort((a, b) => a.item - b.item);
}

/**
 * The headlines of several rounds as one table. Lines are matched by item and measure (a line only
 * some rounds have still appears). Each shows the median round's line — value, verdict and all —
 * so the figures on it were measured together; beside it every round's figure and their spread.
 * With an even number of rounds the worse of the two middle rounds is the median: a headline
 * should not flatter.
 */
export function combineRounds(rounds: readonly (readonly Headline[])[]): RoundsHeadline[] {
  const keys: string[] = [];
  const byKey = new Map<string, (Headline | undefined)[]>();
  rounds.forEach((lines, r) => {
    for (const line of lines) {
      const key = `${line.item}\u0000${line.measure}`;
      let perRound = byKey.get(key);
      if (!perRound) {
        perRound = new Array<Headline | undefined>(rounds.length).fill(undefined);
        byKey.set(key, perRound);
        keys.push(key);
      }
      perRound[r] = line;
    }
  });
  const combined = keys.map((key): RoundsHeadline => {
    const perRound = byKey.get(key)!;
    const figures = perRound.map((line) => line?.figure ?? null);
    const measured = perRound.flatMap((line, r) => (line && line.figure !== null ? [{ line, round: r + 1, figure: line.figure }] : []));
    const first = perRound.find((line) => line !== undefined)!;
    if (measured.length === 0) return { ...first, rounds: figures, spread: null, medianRound: null };
    measured.sort((a, b) => a.figure - b.figure);
    const count = measured.length;
    // Odd: the middle one. Even: of the two middle ones, the worse.
    const middle = count % 2 === 1 ? (count - 1) / 2 : first.better === 'lower' ? count / 2 : count / 2 - 1;
    const median = measured[middle]!;
    return { ...median.line, rounds: figures, spread: { min: measured[0]!.figure, max: measured[count - 1]!.figure }, medianRound: median.round };
  });
  return combined.sort((a, b) => a.item - b.item);
}

/** `1.2`, `150,000`: a figure as the summary prints it. */
export const formatFigure = (v: number): string => (Math.abs(v) >= 1_000 ? n(Math.round(v)) : String(v));
