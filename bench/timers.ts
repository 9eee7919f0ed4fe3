import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { asyncScheduler } from 'rxjs';
import type { AlertEvent } from '../src/contracts/alert.js';
import { deviceTypeNames } from '../src/catalogue/device-catalogue.js';
import type { OfflineScenario } from '../src/models/index.js';
import { resolveConfig } from '../src/core/config.js';
import { DEFAULT_FIRING_BUDGET, TimerQueue, type TimerEntry } from '../src/core/timer-queue.js';
import { BUILT_IN_POLICY } from '../src/policy/policy-definition.js';
import { createEngine } from '../src/engine.js';
import { DEFAULT_COMMIT_BUDGET } from '../src/engine/group-commit.js';
import { Registry } from '../src/registry/registry.js';
import { loadScenarioFile } from '../src/scenarios/loader.js';
import { environment, parseFlags, percentiles, round, type Percentiles } from './bench-environment.js';
import { benchFleet } from './bench-fleet.js';
import { feedOnce } from './fleet-feed.js';

/**
 * Issue 4, benchmark 3 — timer accuracy: N armed offline timers on the REAL clock (asyncScheduler:
 * lateness is a wall-clock property), how late each fires. Target: p99 ≤ 50 ms at 1 000 000.
 *
 * The engine runs in this process with one scenario: a copy of the shipped `meter-offline`
 * (offline model) that applies to every device type, has a single level whose `after` is short
 * (lead + window, a minute or so instead of 2 h) and `dispatch: false`. Every device reports once,
 * with an event time chosen so that its silence reaches `after` at an instant spread evenly over
 * the window; so N timers sit in the scenario's timer heap and fire across the window.
 *
 * What is measured, per timer: due time = last reading's event time + `after` (the alert's
 * `lastSeenAt + silentMs` facts), and
 * - detection lateness = the engine clock when the model decided (`AlertEvent.at`) − due: the
 *   timer heap, the scheduler and whatever else held the event loop;
 * - announcement lateness = wall time the `alert` event was observed − due: the above plus the
 *   alert lifecycle and the SQLite group commit (alert row + outbox row) the event waits for.
 * Orders are not created (`dispatch: false`): a million orders is the dispatch benchmark's business,
 * not the timers'. The baseline, measured in the same run, is the bare TimerQueue with N entries on
 * the same scheduler and window and an empty callback: what the clock and the heap alone cost.
 *
 * `node --expose-gc --max-old-space-size=8192 dist/bench/timers.js [--full] [--devices N]
 *   [--window-seconds 30] [--lead-seconds S (auto)] [--grace-seconds 30] [--skip-baseline]
 *   [--out bench/results] [--name timers]`
 * Without --devices: 100 000 devices, or 1 000 000 with --full.
 */
export interface TimerBenchOptions {
  /** 0: 100 000, or 1 000 000 with `full`. */
  devices: number;
  full: boolean;
  /** Due times spread evenly over this many seconds. */
  windowSeconds: number;
  /** Seconds from the start of feeding to the first due time; 0: estimated from the device count. */
  leadSeconds: number;
  /** How long after the last due time to wait for stragglers before counting them as not announced in time. */
  graceSeconds: number;
  skipBaseline: boolean;
  out: string;
  name: string;
}

export const DEFAULT_TIMER_OPTIONS: Readonly<TimerBenchOptions> = {
  devices: 0, full: false, windowSeconds: 30, leadSeconds: 0, graceSeconds: 30, skipBaseline: false, out: 'bench/results', name: 'timers',
};

const BENCH_SCENARIO_ID = 'bench-offline';
const TARGET_P99_MS = 50;

/** Feeding costs ~10 µs per reading here (decode, validate, enrich, arm); twice that plus 3 s is a safe lead. */
const autoLeadSeconds = (devices: number): number => Math.ceil(3 + devices * 20e-6);

interface LoopDelay { p50: number; p99: number; max: number }

const loopDelayOf = (h: IntervalHistogram): LoopDelay => ({ p50: round(h.percentile(50) / 1e6), p99: round(h.percentile(99) / 1e6), max: round(h.max / 1e6) });

async function until(condition: () => boolean, deadline: number): Promise<void> {
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The baseline: the same heap and scheduler with an empty callback, N entries over the same window. */
async function bareTimerQueue(devices: number, windowMs: number, leadMs: number, graceMs: number) {
  const lateness = new Float64Array(devices);
  let fired = 0;
  let early = 0;
  const queue = new TimerQueue<TimerEntry>(asyncScheduler, (entry, now) => {
    const late = now - entry.dueAt;
    if (late < 0) early++;
    lateness[fired++] = late;
  });
  const firstDue = Date.now() + leadMs;
  for (let i = 0; i < devices; i++) queue.arm({ dueAt: 0, heapIndex: -1 }, firstDue + Math.floor((i * windowMs) / devices));
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  await until(() => fired === devices, firstDue + windowMs + graceMs);
  loop.disable();
  queue.dispose();
  return { armed: devices, fired, early, latenessMs: percentiles(lateness.subarray(0, fired)), eventLoopDelayMs: loopDelayOf(loop) };
}

export async function runTimerBenchmark(options: TimerBenchOptions) {
  const devices = options.devices > 0 ? options.devices : options.full ? 1_000_000 : 100_000;
  const windowMs = options.windowSeconds * 1000;
  const leadMs = (options.leadSeconds > 0 ? options.leadSeconds : autoLeadSeconds(devices)) * 1000;
  const graceMs = options.graceSeconds * 1000;
  const afterMs = leadMs + windowMs;

  const baseline = options.skipBaseline ? undefined : await bareTimerQueue(devices, windowMs, Math.min(leadMs, 3000), graceMs);

  const dataDir = mkdtempSync(join(tmpdir(), 'rw-bench-timers-'));
  const registry = new Registry(benchFleet(devices).registry);
  const fleet = registry.devices();
  const config = resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: dataDir, rules: 'rules', log: { level: 'warn' } });
  const shipped = loadScenarioFile(join(config.rules, 'meter-offline.yaml'));
  if (shipped.model !== 'offline') throw new Error('rules/meter-offline.yaml is expected to be an offline scenario');
  const scenario: OfflineScenario = {
    ...shipped,
    id: BENCH_SCENARIO_ID,
    name: `${shipped.name} (bench copy: every device, ${afterMs / 1000} s)`,
    appliesTo: { deviceTypes: [...deviceTypeNames()] },
    levels: { blue: afterMs },
    dispatch: false,
  };
  // The built-in policy: the shipped policy file names scenarios this engine does not load.
  const engine = createEngine(config, { registry, scenarios: [scenario], dispatchPolicy: BUILT_IN_POLICY, logger: pino({ level: 'warn' }) });

  const detectionLate = new Float64Array(devices);
  const announcementLate = new Float64Array(devices);
  let opened = 0;
  let firstObservedAt = Infinity;
  let lastObservedAt = -Infinity;
  let otherEvents = 0;
  let armedLateSkipped = 0;
  let feedEndedAt = Infinity;
  engine.on('alert', (event: AlertEvent) => {
    const observedAt = Date.now();
    if (event.type !== 'opened' || event.alert.scenarioId !== BENCH_SCENARIO_ID) {
      otherEvents++;
      return;
    }
    firstObservedAt = Math.min(firstObservedAt, observedAt);
    lastObservedAt = observedAt;
    const { lastSeenAt, silentMs } = event.alert.evidence.facts as { lastSeenAt: number; silentMs: number };
    const due = lastSeenAt + silentMs;
    // A timer whose reading arrived after its due time measures the feed, not the timer.
    if (due < feedEndedAt) armedLateSkipped++;
    else {
      detectionLate[opened - armedLateSkipped] = event.at - due;
      announcementLate[opened - armedLateSkipped] = observedAt - due;
    }
    opened++;
  });

  await engine.start();
  let stopSeconds = NaN;
  try {
    const feedStartedAt = Date.now();
    const firstDue = feedStartedAt + leadMs;
    const dueOf = (i: number) => firstDue + Math.floor((i * windowMs) / devices);
    await feedOnce(engine, fleet, (i) => dueOf(i) - afterMs);
    feedEndedAt = Date.now();
    const armedAfterDue = fleet.filter((_, i) => dueOf(i) < feedEndedAt).length;
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    await until(() => opened >= devices, firstDue + windowMs + graceMs);
    loop.disable();
    // Everything is counted at the deadline: what a stop flushes later was not on time by any measure.
    const openedByDeadline = opened;
    const lastObservedByDeadline = lastObservedAt;
    const measured = opened - armedLateSkipped;
    const detection = percentiles(detectionLate.slice(0, measured));
    const announcement = percentiles(announcementLate.slice(0, measured));
    const counters = { ...engine.counters };
    const stopStart = performance.now();
    await engine.stop();
    stopSeconds = round((performance.now() - stopStart) / 1000, 1);
    // The deadline's figures leave out the latest detections, those still waiting for their commit
    // then: every alert the stop still committed has its detection instant too (AlertEvent.at).
    const detectionByStop = percentiles(detectionLate.subarray(0, opened - armedLateSkipped));
    return {
      name: options.name,
      ...environment(),
      config: {
        devices, windowSeconds: options.windowSeconds, leadSeconds: leadMs / 1000, graceSeconds: options.graceSeconds,
        scenario: { id: scenario.id, copyOf: shipped.id, model: scenario.model, afterSeconds: afterMs / 1000, deviceTypes: scenario.appliesTo.deviceTypes, dispatch: scenario.dispatch },
        clock: 'asyncScheduler (wall clock)',
        firingBudget: DEFAULT_FIRING_BUDGET,
        commitBudget: DEFAULT_COMMIT_BUDGET,
        measured: 'timer due → detection (AlertEvent.at) and → alert event emitted after the SQLite commit; no orders',
      },
      feed: { seconds: round((feedEndedAt - feedStartedAt) / 1000, 1), readingsPerSecond: round(devices / ((feedEndedAt - feedStartedAt) / 1000), 0), armedAfterDue, rejected: counters.rejected },
      fired: {
        armed: devices, opened: openedByDeadline, measured, lost: devices - openedByDeadline, announcedOnlyAtStop: opened - openedByDeadline,
        armedLateSkipped, otherAlertEvents: otherEvents, stageErrors: counters.stageErrors,
      },
      detectionLatenessMs: detection,
      detectionByStopLatenessMs: detectionByStop,
      announcementLatenessMs: announcement,
      eventLoopDelayMs: loopDelayOf(loop),
      // Alerts committed and announced per second, first to last announcement: what the store
      // sustains, against the devices ÷ window the storm asks for.
      announcedPerSecond: openedByDeadline > 1 ? round((openedByDeadline - 1) / ((lastObservedByDeadline - firstObservedAt) / 1000), 0) : NaN,
      demandedPerSecond: round(devices / options.windowSeconds, 0),
      baseline,
      ratioP99ToBaseline: baseline ? round(detection.p99 / Math.max(1, baseline.latenessMs.p99), 1) : undefined,
      stopSeconds,
      target: { detectionP99Ms: TARGET_P99_MS },
    };
  } finally {
    if (Number.isNaN(stopSeconds)) await engine.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function timersMarkdown(r: Awaited<ReturnType<typeof runTimerBenchmark>>): string {
  const ms = (n: number) => (Number.isNaN(n) ? 'n/a' : `${round(n, 2)} ms`);
  const row = (label: string, p: Percentiles, target = '') => `| ${label} | ${p.count.toLocaleString('en')} | ${ms(p.p50)} | ${ms(p.p99)} | ${ms(p.p999)} | ${ms(p.max)} | ${target} |`;
  const met = r.detectionLatenessMs.p99 <= TARGET_P99_MS && r.fired.lost === 0;
  const lines = [
    `### ${r.name} — ${r.config.devices.toLocaleString('en')} armed offline timers due over ${r.config.windowSeconds} s, real clock, ${r.machine.cpus} cores, Node ${r.versions.node}`,
    '',
    '| lateness of firing (due → …) | timers | p50 | p99 | p99.9 | max | target |',
    '|---|---|---|---|---|---|---|',
  ];
  if (r.baseline) lines.push(row('bare TimerQueue, empty callback (baseline)', r.baseline.latenessMs));
  lines.push(
    row('engine: detection (model decided, engine clock)', r.detectionLatenessMs, `p99 ≤ ${TARGET_P99_MS} ms, none lost: ${met ? 'met' : '**missed**'}`),
    row('engine: detection, every alert the stop still committed included', r.detectionByStopLatenessMs),
    row('engine: alert event after the SQLite commit', r.announcementLatenessMs),
    '',
    '| measure | value |',
    '|---|---|',
    `| timers armed / announced by the deadline (last due + ${r.config.graceSeconds} s) / not by then | ${r.fired.armed.toLocaleString('en')} / ${r.fired.opened.toLocaleString('en')} / ${r.fired.lost.toLocaleString('en')} (${r.fired.announcedOnlyAtStop.toLocaleString('en')} announced by the stop) |`,
    `| engine event-loop delay while firing: p50 / p99 / max | ${ms(r.eventLoopDelayMs.p50)} / ${ms(r.eventLoopDelayMs.p99)} / ${ms(r.eventLoopDelayMs.max)} |`,
    `| alerts committed and announced per second (first → last) / due per second | ${r.announcedPerSecond.toLocaleString('en')} / ${r.demandedPerSecond.toLocaleString('en')} |`,
    `| firing budget per wake-up / commit budget per transaction | ${r.config.firingBudget.maxEntries.toLocaleString('en')} timers or ${r.config.firingBudget.maxMs} ms / ${r.config.commitBudget.maxChanges.toLocaleString('en')} changes or ${r.config.commitBudget.maxMs} ms |`,
  );
  if (r.baseline) lines.push(`| baseline event-loop delay: p99 / max | ${ms(r.baseline.eventLoopDelayMs.p99)} / ${ms(r.baseline.eventLoopDelayMs.max)} |`);
  if (r.ratioP99ToBaseline !== undefined) lines.push(`| detection p99 ÷ baseline p99 (baseline floored at 1 ms) | ${r.ratioP99ToBaseline}× |`);
  lines.push(
    `| feeding one reading per device (arms the timers) | ${r.feed.seconds} s, ${r.feed.readingsPerSecond.toLocaleString('en')} readings/s, ${r.feed.armedAfterDue} armed after their due time |`,
    `| graceful stop (writes every key's state) | ${r.stopSeconds} s |`,
    '',
    `Scenario: a copy of \`${r.config.scenario.copyOf}\` for every device type, one level after ${r.config.scenario.afterSeconds} s, no dispatch. ` +
      'The engine clock has millisecond resolution, so lateness is in whole milliseconds.',
    '',
  );
  return lines.join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_TIMER_OPTIONS);
  const result = await runTimerBenchmark(options);
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, `${options.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const table = timersMarkdown(result);
  writeFileSync(join(options.out, `${options.name}.md`), table);
  console.log(table);
  process.exit(0);
}
