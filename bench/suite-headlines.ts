import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The suite summary's first table: one line per figure issue 4 sets a target for, read back from
 * the JSON each benchmark wrote. A benchmark that did not run (or failed before writing) gives a
 * line saying so rather than no line: a missing figure must be as visible as a missed one.
 */
export interface Headline {
  /** The issue's benchmark number. */
  item: number;
  measure: string;
  value: string;
  target: string;
  /** null: no target, or not measured. */
  met: boolean | null;
}

/* The shapes below are the parts of each benchmark's JSON the summary reads (see each bench file). */
interface Percentiles { count: number; p50: number; p99: number; p999: number; max: number }
interface LatencyJson {
  config: { devices: number };
  latency: { system: string; rate: number; latencyMs: Percentiles; missing: number; lost: number | null }[];
  ratioToAedesHop: { rate: number; p50: number | null; p99: number | null }[];
  throughput: { system: string; bestMsgPerSec: number | null; stoppedBecause: string }[];
  throughputRatioToNodeRed: number | null;
  targets: { p99MsAt20k: number; ratioToAedesHop: number; msgPerSec: number; timesNodeRed: number };
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
const notRun = (item: number, measure: string, target: string): Headline => ({ item, measure, value: 'not measured', target, met: null });

function read<T>(dir: string, name: string): T | undefined {
  const file = join(dir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

function latencyLines(r: LatencyJson | undefined): Headline[] {
  if (!r) return [notRun(1, 'publish → order p99 at 20 000 msg/s', '≤ 10 ms'), notRun(2, 'max sustained throughput', '≥ 50 000 msg/s'), notRun(6, 'ratio to the bare aedes hop', '≤ 1.5×')];
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
    });
  }
  const best = r.throughput.find((t) => t.system === 'riskwatch');
  lines.push({
    item: 2, measure: 'max sustained throughput, nothing lost, p99 < 1 s',
    value: best?.bestMsgPerSec ? `${n(best.bestMsgPerSec)} msg/s (stopped: ${best.stoppedBecause})` : `none (${best?.stoppedBecause ?? 'not run'})`,
    target: `≥ ${n(r.targets.msgPerSec)} msg/s`, met: (best?.bestMsgPerSec ?? 0) >= r.targets.msgPerSec,
  });
  for (const ratio of r.ratioToAedesHop) {
    if (ratio.p50 === null || ratio.p99 === null) continue;
    lines.push({
      item: 6, measure: `riskwatch ÷ bare aedes hop at ${n(ratio.rate)} msg/s (p50 / p99)`, value: `${ratio.p50}× / ${ratio.p99}×`,
      target: `≤ ${r.targets.ratioToAedesHop}×`, met: ratio.p50 <= r.targets.ratioToAedesHop && ratio.p99 <= r.targets.ratioToAedesHop,
    });
  }
  const nodeRed = r.throughput.find((t) => t.system === 'Node-RED');
  if (nodeRed) {
    lines.push({
      item: 6, measure: 'throughput ÷ Node-RED\'s', value: r.throughputRatioToNodeRed === null ? `n/a (Node-RED: ${nodeRed.stoppedBecause})` : `${r.throughputRatioToNodeRed}× (Node-RED ${nodeRed.bestMsgPerSec === null ? 'none' : n(nodeRed.bestMsgPerSec)} msg/s)`,
      target: `≥ ${r.targets.timesNodeRed}×`, met: r.throughputRatioToNodeRed === null ? null : r.throughputRatioToNodeRed >= r.targets.timesNodeRed,
    });
  }
  return lines;
}

function timerLine(r: TimersJson | undefined): Headline {
  if (!r) return notRun(3, 'timer firing lateness p99', '≤ 50 ms');
  return {
    item: 3, measure: `${n(r.config.devices)} armed offline timers due over ${r.config.windowSeconds} s: firing lateness p99 (alert announced p99)`,
    value: `${r.detectionLatenessMs.p99} ms (${r.announcementLatenessMs.p99} ms)`, target: '≤ 50 ms', met: r.detectionLatenessMs.p99 <= 50 && r.detectionLatenessMs.count === r.config.devices,
  };
}

function memoryLines(dir: string): Headline[] {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^memory-\d+\.json$/.test(f)) : [];
  if (files.length === 0) return [notRun(4, 'heap per device', '≤ 1 KB')];
  return files
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as MemoryJson)
    .sort((a, b) => a.config.devices - b.config.devices)
    .map((r) => ({ item: 4, measure: `heap per device at ${n(r.config.devices)} devices`, value: `${n(r.heap.perDeviceBytes)} B`, target: '≤ 1 024 B', met: r.heap.perDeviceBytes <= 1024 }));
}

function replayLine(r: ReplayJson | undefined): Headline {
  if (!r) return notRun(5, 'replay throughput', '≥ 1 000 000 readings/s');
  return {
    item: 5, measure: `replay of a ${n(r.readings)}-reading recording, virtual clock, whole pipeline`, value: `${n(Math.round(r.readingsPerSecond))} readings/s`,
    target: '≥ 1 000 000 readings/s', met: r.readingsPerSecond >= 1_000_000,
  };
}

function detectionLine(r: DetectionJson | undefined): Headline {
  if (!r) return notRun(7, 'detection quality', '');
  const t = r.totals;
  return {
    item: 7, measure: `detection on ${n(r.config.households)} simulated households × ${r.config.days} days: incidents detected, false alarms per 1 000 device-days`,
    value: `${t.detected} of ${t.incidents}, ${t.falseAlarms} false alarms (${t.falseAlarmsPer1000DeviceDays})`, target: 'every incident, no false alarm', met: t.missed === 0 && t.falseAlarms === 0,
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
  ];
  return lines.sort((a, b) => a.item - b.item);
}
