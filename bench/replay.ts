import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Alert } from '../src/contracts/alert.js';
import type { IncidentLabel } from '../src/contracts/recording.js';
import { resolveConfig } from '../src/core/config.js';
import { ManualScheduler } from '../src/core/manual-scheduler.js';
import { createEngine } from '../src/engine.js';
import { replay, type ReplayInput } from '../src/engine/replay.js';
import { readRecording, type RecordingChunk } from '../src/ingest/recording-reader.js';
import { createTelemetryDecoder, MessageSlot } from '../src/ingest/telemetry-decoder.js';
import { Registry } from '../src/registry/registry.js';
import { fleetFromRegistry, generateCity } from '../simulators/fleet.js';
import { planIncidents, randomIncidents } from '../simulators/incidents.js';
import { writeRecording } from '../simulators/recording-writer.js';
import { simulate } from '../simulators/simulation.js';
import { environment, parseFlags, round, settledHeap } from './bench-environment.js';
import { scoreDetection, type ScenarioScore } from './detection-quality.js';

/**
 * Issue 4, benchmark 5 — replay throughput: an NDJSON recording through the same pipeline as live
 * traffic (decode → ajv → registry → every shipped scenario → alerts → dispatch policy → SQLite
 * group commit → outbox relay to the embedded broker) on a virtual clock that follows event time.
 * Target: ≥ 1 000 000 readings/s on this 2-core machine.
 *
 * A generated city (the simulator's realistic mix: water and gas meters, gas and smoke detectors,
 * door sensors; elderly residents living alone) with incidents injected from the seed is written
 * as a recording to a temp file, exactly as `riskwatch simulate --fast` writes it. Then, per round:
 *
 * - **whole**: a fresh engine replaying the file, what `riskwatch replay FILE` runs
 *   (`readRecording` → `replay` on a `ManualScheduler`) — the figure held against the target;
 * - **read**: `readRecording(file)` alone — file read, lines split, each message's time, topic and
 *   payload range found (what the whole path spends before `engine.ingestRange`);
 * - **decode**: the engine's telemetry decoder alone on the recording held in memory, fed as the
 *   pipeline feeds it (payloads in place, recorded topics) — JSON, schema, registry lookup,
 *   event-time checks (no models, no clock);
 * - **pipeline**: a fresh engine replaying the recording held in memory: the whole path without
 *   the file.
 *
 * Each stage is timed over every reading of the recording; the median round is reported (the first
 * round also pays for the JIT). Every round of `pipeline` and `whole` starts from an empty database
 * and runs to the last commit and broker hand-off (`engine.flush()`). The alerts of the last whole
 * round are scored against the incident labels, so the replay is seen to do the work it should.
 * Wall-clock time is measured here, on purpose: it is what a replay costs its user.
 *
 * `node --expose-gc dist/bench/replay.js [--full] [--households N] [--hours H] [--seed S]
 *   [--incidents N] [--batch] [--rounds R] [--out bench/results] [--name replay]`
 * Without --households: 2 000 households (about 600 000 readings a day), 10 000 with --full;
 * without --hours: two days (48 h, about 1.2 million readings for 2 000 households).
 */
export interface ReplayBenchOptions {
  /** 0: 2 000, or 10 000 with `full`. */
  households: number;
  /** Hours of fleet time in the recording. */
  hours: number;
  seed: number;
  /** Incidents injected (the kinds in turn, chosen from the seed). */
  incidents: number;
  /** NB-IoT batch reporting: meters upload an hour of intervals in one message. */
  batch: boolean;
  rounds: number;
  full: boolean;
  out: string;
  name: string;
}

export const DEFAULT_REPLAY_OPTIONS: Readonly<ReplayBenchOptions> = {
  households: 0, hours: 48, seed: 7, incidents: 12, batch: false, rounds: 3, full: false, out: 'bench/results', name: 'replay',
};

export const TARGET_READINGS_PER_SECOND = 1_000_000;

/** The simulator's fixed Monday (`riskwatch simulate --fast`'s default start). */
const START = Date.parse('2026-03-02T00:00:00+08:00');
const HOUR = 3_600_000;
const MiB = 2 ** 20;

export interface StageFigures {
  /** Median round. */
  seconds: number;
  readingsPerSecond: number;
  messagesPerSecond: number;
  /** Readings per second of every round, in order. */
  rounds: number[];
}

export type ReplayBenchResult = Awaited<ReturnType<typeof runReplayBenchmark>>;

/** GC pauses (count and total) while `work` runs. */
async function withGcTally<T>(work: () => Promise<T>): Promise<{ value: T; gc: { count: number; pauseMs: number } }> {
  const gc = { count: 0, pauseMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.pauseMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const value = await work();
    // GC entries are delivered on a later turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    return { value, gc: { count: gc.count, pauseMs: round(gc.pauseMs, 1) } };
  } finally {
    observer.disconnect();
  }
}

async function* fromMemory(chunks: readonly RecordingChunk[]): AsyncGenerator<RecordingChunk> {
  yield* chunks;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function figures(secondsPerRound: number[], readings: number, messages: number): StageFigures {
  const seconds = median(secondsPerRound);
  return {
    seconds: round(seconds, 3),
    readingsPerSecond: Math.round(readings / seconds),
    messagesPerSecond: Math.round(messages / seconds),
    rounds: secondsPerRound.map((s) => Math.round(readings / s)),
  };
}

export async function runReplayBenchmark(options: ReplayBenchOptions) {
  const households = options.households > 0 ? options.households : options.full ? 10_000 : 2_000;
  const endMs = START + options.hours * HOUR;
  const workDir = mkdtempSync(join(tmpdir(), 'rw-bench-replay-'));
  try {
    // 1. The recording, as `riskwatch simulate --fast` writes it.
    const generateStarted = performance.now();
    const city = generateCity({ households, seed: options.seed });
    const registry = new Registry(city);
    const fleet = fleetFromRegistry(registry);
    const window = { startMs: START, endMs };
    const plan = planIncidents(fleet, randomIncidents(fleet, options.incidents, window, options.seed), window, options.seed);
    const file = join(workDir, 'recording.ndjson');
    const written = writeRecording(
      simulate({ fleet, seed: options.seed, startMs: START, endMs, effects: plan.effects, ...(options.batch ? { batch: { everyMs: HOUR } } : {}) }),
      file,
    );
    const generateSeconds = (performance.now() - generateStarted) / 1000;
    const { messages, readings } = written;
    // As `riskwatch replay` runs it: no periodic checkpoints on a virtual clock (src/cli/replay.ts).
    const config = (data: string) =>
      resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data, rules: 'rules', checkpoint: { interval: '0s' }, log: { level: 'warn' } });

    // 2. The stages, round after round.
    const heapBefore = settledHeap();

    // What replay does with the file: chunk by chunk, each message's time, recorded topic and
    // payload range (src/engine/replay.ts feeds them to `engine.ingestRange`).
    const readOnly = async (): Promise<void> => {
      let count = 0;
      let bytes = 0;
      for await (const chunk of readRecording(file).chunks()) {
        for (let i = 0; i < chunk.length; i++) {
          const recorded = chunk.recordedTopic!(i);
          if (chunk.time(i) > 0 && chunk.bytes!(i).length > 0) bytes += (recorded?.topic ?? chunk.topic(i)).length + chunk.payloadTo!(i) - chunk.payloadFrom!(i);
          count++;
        }
      }
      if (count !== messages || bytes === 0) throw new Error(`read ${count} of ${messages} messages`);
    };

    const decoder = createTelemetryDecoder({ maxReadingAgeMs: 7 * 86_400_000 }, registry);
    let decoded = 0;
    let decodeRejected = 0;
    // The message as the pipeline hands it to the decoder: one slot, refilled per message.
    const slot = new MessageSlot();
    const decodeOnly = (chunks: readonly RecordingChunk[]): void => {
      decoded = 0;
      decodeRejected = 0;
      for (const chunk of chunks) {
        for (let i = 0; i < chunk.length; i++) {
          try {
            const recorded = chunk.recordedTopic!(i);
            slot.fill(recorded?.topic ?? chunk.topic(i), recorded, chunk.bytes!(i), chunk.payloadFrom!(i), chunk.payloadTo!(i), chunk.time(i));
            const readings = decoder.decodeMessage!(slot);
            decoded += Array.isArray(readings) ? readings.length : 1;
          } catch {
            decodeRejected++;
          }
        }
      }
      slot.clear();
    };

    let databases = 0;
    const replayRun = async (input: ReplayInput) => {
      const engine = createEngine(config(join(workDir, `db-${databases++}`)), {
        registry, scheduler: new ManualScheduler(written.firstT ?? START), logger: pino({ level: 'warn' }),
      });
      const clock = engine.scheduler as ManualScheduler;
      const openedAlerts: Alert[] = [];
      engine.on('alert', (event) => {
        if (event.type === 'opened') openedAlerts.push(event.alert);
      });
      const heapBeforeEngine = settledHeap();
      await engine.start();
      try {
        const started = performance.now();
        const { value: summary, gc } = await withGcTally(() => replay(engine, clock, input));
        const seconds = (performance.now() - started) / 1000;
        const heapUsedAtEndMiB = round(process.memoryUsage().heapUsed / MiB, 1);
        // What the engine holds after the replay: model state, alert slots, caches (not the recording).
        const engineHeldMiB = round((settledHeap() - heapBeforeEngine) / MiB, 1);
        const health = engine.health().counters;
        return {
          seconds, summary, gc, heapUsedAtEndMiB, engineHeldMiB, openedAlerts,
          counters: { orderUpdates: engine.counters.orderUpdates, stageErrors: engine.counters.stageErrors, detections: engine.counters.detections, openAlerts: health.openAlerts },
        };
      } finally {
        await engine.stop();
      }
    };
    type Run = Awaited<ReturnType<typeof replayRun>>;

    const times = { read: [] as number[], decode: [] as number[], pipeline: [] as number[], whole: [] as number[] };
    let whole: Run | undefined;
    let pipeline: Run | undefined;
    for (let r = 0; r < Math.max(1, options.rounds); r++) {
      whole = await replayRun(readRecording(file));
      times.whole.push(whole.seconds);
      let t0 = performance.now();
      await readOnly();
      times.read.push((performance.now() - t0) / 1000);
      // The recording in memory as replay reads it (chunks of bytes and offsets), then dropped again.
      let chunks: RecordingChunk[] = [];
      for await (const chunk of readRecording(file).chunks()) chunks.push(chunk);
      t0 = performance.now();
      decodeOnly(chunks);
      times.decode.push((performance.now() - t0) / 1000);
      const inMemory = chunks;
      pipeline = await replayRun({ chunks: () => fromMemory(inMemory) });
      times.pipeline.push(pipeline.seconds);
      chunks = [];
    }
    if (!whole || !pipeline) throw new Error('no round ran');
    const heapAfter = settledHeap();

    const deviceDays = (fleet.devices.length * (endMs - START)) / (24 * HOUR);
    const scores = scoreDetection(plan.labels, whole.openedAlerts, { deviceDays });
    const expected = plan.labels.filter((l: IncidentLabel) => l.expectedScenarios.length > 0).length;
    const deviceTypes: Record<string, number> = {};
    for (const d of fleet.devices) deviceTypes[d.type] = (deviceTypes[d.type] ?? 0) + 1;
    const wholeFigures = figures(times.whole, readings, messages);

    return {
      name: options.name,
      // The headline, for summaries (bench/suite-headlines.ts): the whole path, median round.
      readings,
      readingsPerSecond: wholeFigures.readingsPerSecond,
      alertEvents: whole.summary.alertEvents,
      ordersCreated: whole.summary.ordersCreated,
      ...environment(),
      config: {
        households, devices: fleet.devices.length, deviceTypes, hours: options.hours, seed: options.seed, batch: options.batch,
        incidents: plan.labels.length, rounds: times.whole.length,
        clock: 'ManualScheduler (virtual, follows the recorded event time; timers fire at their instants)',
        scenarios: 'shipped (rules/), shipped dispatch policy',
      },
      recording: {
        messages, readings, bytes: statSync(file).size, generateSeconds: round(generateSeconds, 1),
        from: written.firstT, to: written.lastT,
      },
      stages: {
        read: figures(times.read, readings, messages),
        decode: figures(times.decode, readings, messages),
        pipeline: figures(times.pipeline, readings, messages),
        whole: wholeFigures,
      },
      decode: { readings: decoded, rejected: decodeRejected },
      replay: {
        messages: whole.summary.messages, rejected: whole.summary.rejected, outOfOrder: whole.summary.outOfOrder,
        detections: whole.counters.detections, alertEvents: whole.summary.alertEvents, alertsOpened: whole.openedAlerts.length,
        openAlertsAtEnd: whole.counters.openAlerts, ordersCreated: whole.summary.ordersCreated, orderUpdates: whole.counters.orderUpdates,
        stageErrors: whole.counters.stageErrors,
        samePipelineFromMemory: { alertEvents: pipeline.summary.alertEvents, ordersCreated: pipeline.summary.ordersCreated },
      },
      detection: {
        incidents: plan.labels.length,
        expected,
        detected: scores.reduce((n: number, s: ScenarioScore) => n + s.detected, 0),
        falseAlarms: scores.reduce((n: number, s: ScenarioScore) => n + s.falseAlarms, 0),
        scenarios: scores,
      },
      heap: {
        beforeMiB: round(heapBefore / MiB, 1),
        usedAtEndOfWholeMiB: whole.heapUsedAtEndMiB,
        engineHeldAfterWholeMiB: whole.engineHeldMiB,
        afterMiB: round(heapAfter / MiB, 1),
        gcDuringWhole: { ...whole.gc, shareOfWallPct: round((whole.gc.pauseMs / 1000 / whole.seconds) * 100, 1) },
      },
      target: { readingsPerSecond: TARGET_READINGS_PER_SECOND, met: wholeFigures.readingsPerSecond >= TARGET_READINGS_PER_SECOND },
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function replayMarkdown(r: ReplayBenchResult): string {
  const n = (x: number) => x.toLocaleString('en');
  const whole = r.stages.whole.seconds;
  const stage = (label: string, f: StageFigures, target = '') =>
    `| ${label} | ${n(f.readingsPerSecond)} | ${n(f.messagesPerSecond)} | ${f.seconds} s | ${round((f.seconds / whole) * 100, 0)} % | ${f.rounds.map(n).join(' · ')} | ${target} |`;
  const met = r.target.met ? 'met' : '**missed**';
  return [
    `### ${r.name} — ${n(r.recording.readings)} readings (${n(r.config.devices)} devices, ${r.config.households.toLocaleString('en')} households, ` +
      `${r.config.hours} h of fleet time${r.config.batch ? ', NB-IoT batches' : ''}) replayed on a virtual clock, ${r.machine.cpus} cores, Node ${r.versions.node}`,
    '',
    '| stage (median of rounds) | readings/s | messages/s | time | share of whole | every round, readings/s | target |',
    '|---|---|---|---|---|---|---|',
    stage('whole: `riskwatch replay` path — file → decode → scenarios → alerts → orders → SQLite', r.stages.whole, `≥ ${n(TARGET_READINGS_PER_SECOND)}: ${met}`),
    stage('… the same from memory (no file)', r.stages.pipeline),
    stage('… read the file only (lines, time, topic, payload)', r.stages.read),
    stage('… decode + validate only (JSON, schema, registry, time checks)', r.stages.decode),
    '',
    '| measure | value |',
    '|---|---|',
    `| recording | ${n(r.recording.messages)} messages, ${n(r.recording.readings)} readings, ${round(r.recording.bytes / 1e6, 1)} MB (generated in ${r.recording.generateSeconds} s) |`,
    `| replayed / rejected / out of order | ${n(r.replay.messages)} / ${r.replay.rejected} / ${r.replay.outOfOrder} |`,
    `| detections → alert events (opened) → orders created / updated | ${n(r.replay.detections)} → ${n(r.replay.alertEvents)} (${r.replay.alertsOpened}) → ${r.replay.ordersCreated} / ${r.replay.orderUpdates} |`,
    `| incidents injected / expected to be caught / caught; false alarms | ${r.detection.incidents} / ${r.detection.expected} / ${r.detection.detected}; ${r.detection.falseAlarms} |`,
    `| GC during the whole replay | ${r.heap.gcDuringWhole.count} pauses, ${r.heap.gcDuringWhole.pauseMs} ms (${r.heap.gcDuringWhole.shareOfWallPct} % of the time) |`,
    `| heap: before / in use at the end of a whole replay / held by the engine after it (GC-settled) | ${r.heap.beforeMiB} / ${r.heap.usedAtEndOfWholeMiB} / ${r.heap.engineHeldAfterWholeMiB} MiB |`,
    '',
    'Every round of a replay starts from an empty SQLite database and runs to the last commit and broker hand-off. ' +
      'Shares are of the whole path\'s time; the decode stage is part of the pipeline, and the pipeline plus reading the file is the whole.',
    '',
  ].join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_REPLAY_OPTIONS);
  const result = await runReplayBenchmark(options);
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, `${options.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const table = replayMarkdown(result);
  writeFileSync(join(options.out, `${options.name}.md`), table);
  console.log(table);
  process.exit(0);
}
