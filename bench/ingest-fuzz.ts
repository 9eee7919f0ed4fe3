import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { pino } from 'pino';
import { resolveConfig } from '../src/core/config.js';
import { ManualScheduler } from '../src/core/manual-scheduler.js';
import { createEngine, type Engine } from '../src/engine.js';
import type { DeadLetter } from '../src/ingest/dead-letters.js';
import { environment, parseFlags, round } from './bench-environment.js';
import { fuzzMessage, fuzzWorld, validTelemetryMessage, type FuzzMessage, type FuzzWorld } from './ingest-fuzz-messages.js';
import { FuzzTally, outcomeCounters, outcomeViolation, routeOracle } from './ingest-fuzz-oracle.js';

/**
 * Issue 10 — the ingest fuzzer at scale: `--messages` (default 1 000 000) mutated and random
 * payloads and topics (ingest-fuzz-messages.ts; the same generator as
 * tests/property/ingest-fuzz.test.ts, which runs 20 000) through `engine.receive`, the function the
 * MQTT handler calls, on a real engine (demo registry, shipped scenarios, SQLite) on a virtual clock.
 *
 * Checked for every message (ingest-fuzz-oracle.ts): counted exactly once — accepted, rejected with
 * one reason (never `internal`), ignored, or (status reports, the engine's own topics) by neither —
 * and nothing thrown. Checked at the end: messages = accepted + rejected, rejected = dead letters
 * by reason, the counters equal the oracle's tally. Any failure makes the exit code 1.
 *
 * Figures: messages per second through `receive` (generation, and the downstream work `settle`
 * waits for, timed apart), against a baseline measured in the same run — valid readings only
 * (`--baseline`, default a tenth of `--messages`) through a fresh engine: what garbage costs
 * compared with good input.
 *
 * `node dist/bench/ingest-fuzz.js [--messages N] [--baseline N] [--seed S] [--chunk N] [--out bench/results] [--name ingest-fuzz]`
 */
export interface IngestFuzzOptions {
  messages: number;
  /** Valid readings in the baseline run; 0: a tenth of `messages`. */
  baseline: number;
  seed: number;
  /** Messages generated at a time (fast-check `sample`, seed + chunk number). */
  chunk: number;
  out: string;
  name: string;
}

export const DEFAULT_INGEST_FUZZ_OPTIONS: Readonly<IngestFuzzOptions> = {
  messages: 1_000_000, baseline: 0, seed: 10_2026, chunk: 10_000, out: 'bench/results', name: 'ingest-fuzz',
};

/** Monday 2 March 2026, 09:30 in Shanghai: the virtual clock the messages' times are made around. */
const NOW = Date.parse('2026-03-02T09:30:00+08:00');
/** Violations kept as examples in the result (all are counted). */
const EXAMPLES = 10;

interface RunFigures {
  messages: number;
  generateSeconds: number;
  receiveSeconds: number;
  settleSeconds: number;
  messagesPerSecond: number;
}

/** A fresh engine as production runs it (logs at info, to nowhere), with the demo registry. */
async function startEngine(dataDir: string): Promise<{ engine: Engine; world: FuzzWorld }> {
  const config = resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: dataDir, rules: 'rules', registry: 'registry/demo.yaml' });
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const engine = createEngine(config, { scheduler: new ManualScheduler(NOW), logger: pino({ level: 'info' }, discard) });
  await engine.start();
  return { engine, world: fuzzWorld(config, engine.registry, NOW) };
}

/**
 * Feeds `count` messages from `arbitrary` to `engine.receive`, `chunk` at a time, checking each;
 * settles the engine after every chunk, as live traffic leaves it time to.
 */
async function feed(engine: Engine, world: FuzzWorld, arbitrary: fc.Arbitrary<FuzzMessage>, options: IngestFuzzOptions, count: number, seed: number) {
  const route = routeOracle(world.prefix);
  const tally = new FuzzTally();
  const letters: DeadLetter[] = [];
  engine.on('deadletter', (letter) => letters.push(letter));
  const violations: string[] = [];
  let violationCount = 0;
  let thrown = 0;
  let generateMs = 0;
  let receiveMs = 0;
  let settleMs = 0;
  for (let done = 0, k = 0; done < count; k++) {
    const size = Math.min(options.chunk, count - done);
    let t = performance.now();
    const sample = fc.sample(arbitrary, { seed: seed + k, numRuns: size });
    generateMs += performance.now() - t;
    for (const { topic, payload } of sample) {
      letters.length = 0;
      const before = outcomeCounters(engine.counters);
      t = performance.now();
      try {
        engine.receive(topic, payload);
      } catch (err) {
        thrown++;
        if (violations.length < EXAMPLES) violations.push(`${JSON.stringify(topic.slice(0, 80))}: threw ${(err as Error).message}`);
      }
      receiveMs += performance.now() - t;
      const expected = route(topic);
      const violation = outcomeViolation(expected, before, outcomeCounters(engine.counters), letters);
      if (violation) {
        violationCount++;
        if (violations.length < EXAMPLES) violations.push(`${JSON.stringify(topic.slice(0, 80))}: ${violation}`);
      }
      tally.add(expected, letters, engine.counters.accepted > before.accepted);
    }
    done += size;
    t = performance.now();
    await engine.settle();
    settleMs += performance.now() - t;
  }
  const figures: RunFigures = {
    messages: count,
    generateSeconds: round(generateMs / 1000, 1),
    receiveSeconds: round(receiveMs / 1000, 2),
    settleSeconds: round(settleMs / 1000, 1),
    messagesPerSecond: Math.round(count / (receiveMs / 1000)),
  };
  return { tally, figures, thrown, violationCount, violations };
}

export async function runIngestFuzzBenchmark(options: IngestFuzzOptions) {
  const baselineCount = options.baseline || Math.max(1, Math.round(options.messages / 10));
  const dataDir = mkdtempSync(join(tmpdir(), 'ingest-fuzz-bench-'));
  try {
    // The baseline first, on its own engine: valid readings only.
    const base = await startEngine(join(dataDir, 'baseline'));
    const baseline = await feed(base.engine, base.world, validTelemetryMessage(base.world), options, baselineCount, options.seed + 1_000_000);
    await base.engine.stop();

    const { engine, world } = await startEngine(join(dataDir, 'fuzz'));
    const fuzz = await feed(engine, world, fuzzMessage(world), options, options.messages, options.seed);
    const c = engine.counters;
    const counts = engine.listDeadLetters({ limit: 0, offset: 0 }).counts;
    const deadLettered = Object.values(counts).reduce((a, b) => a + b, 0);
    const totals = {
      messagesEqualsAcceptedPlusRejected: c.messages === c.accepted + c.rejected,
      rejectedEqualsDeadLetters: c.rejected === deadLettered,
      countersEqualOracle: c.messages === fuzz.tally.ingested && c.accepted === fuzz.tally.accepted && c.ignored === fuzz.tally.routes.ignored && counts.bad_topic === fuzz.tally.routes['bad-topic'],
      everyMessageTallied: fuzz.tally.total === options.messages,
    };
    const crashes = { thrown: fuzz.thrown, internal: counts.internal, stageErrors: c.stageErrors, violations: fuzz.violationCount };
    const result = {
      name: options.name,
      ...environment(),
      config: { messages: options.messages, baseline: baselineCount, seed: options.seed, chunk: options.chunk, devices: world.devices.length, registry: 'registry/demo.yaml' },
      routes: fuzz.tally.routes,
      outcomes: { accepted: c.accepted, rejected: c.rejected, byReason: counts, ignored: c.ignored, statusUpdatesRejected: c.statusUpdatesRejected },
      downstream: { detections: c.detections, alertEvents: c.alertEvents, ordersCreated: c.ordersCreated },
      crashes,
      totals,
      passed: Object.values(crashes).every((n) => n === 0) && Object.values(totals).every(Boolean),
      examples: fuzz.violations,
      fuzz: fuzz.figures,
      baselineRun: baseline.figures,
      fuzzToBaseline: round(fuzz.figures.messagesPerSecond / baseline.figures.messagesPerSecond, 2),
    };
    await engine.stop();
    return result;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export type IngestFuzzResult = Awaited<ReturnType<typeof runIngestFuzzBenchmark>>;

const n = (v: number) => v.toLocaleString('en');

export function ingestFuzzMarkdown(r: IngestFuzzResult): string {
  const reasons = Object.entries(r.outcomes.byReason).map(([reason, count]) => `${reason} ${n(count)}`).join(', ');
  return [
    `### ${r.name} — ${n(r.config.messages)} fuzzed messages through ingest (seed ${r.config.seed}, ${r.config.devices} devices): ${r.passed ? 'passed' : '**FAILED**'}`,
    '',
    '| | messages | receive | msg/s | generation | downstream (settle) |',
    '|---|---|---|---|---|---|',
    `| fuzz | ${n(r.fuzz.messages)} | ${r.fuzz.receiveSeconds} s | ${n(r.fuzz.messagesPerSecond)} | ${r.fuzz.generateSeconds} s | ${r.fuzz.settleSeconds} s |`,
    `| baseline: valid readings only | ${n(r.baselineRun.messages)} | ${r.baselineRun.receiveSeconds} s | ${n(r.baselineRun.messagesPerSecond)} | ${r.baselineRun.generateSeconds} s | ${r.baselineRun.settleSeconds} s |`,
    '',
    `Fuzz rate ÷ baseline rate: **${r.fuzzToBaseline}×**.`,
    '',
    `Routes (by topic, oracle): telemetry ${n(r.routes.telemetry)}, bad topic ${n(r.routes['bad-topic'])}, status ${n(r.routes.status)}, ` +
      `engine's own output ${n(r.routes['own-output'])}, outside the prefix ${n(r.routes.ignored)}.`,
    `Outcomes: accepted ${n(r.outcomes.accepted)}, rejected ${n(r.outcomes.rejected)} (${reasons}), ignored ${n(r.outcomes.ignored)}; ` +
      `downstream ${n(r.downstream.detections)} detections, ${n(r.downstream.alertEvents)} alert events, ${n(r.downstream.ordersCreated)} orders.`,
    `Crashes: ${r.crashes.thrown} thrown, ${r.crashes.internal} internal dead letters, ${r.crashes.stageErrors} stage errors; ` +
      `${r.crashes.violations} messages not counted exactly once. Totals add up: ${Object.entries(r.totals).map(([k, ok]) => `${k} ${ok ? 'yes' : '**no**'}`).join(', ')}.`,
    ...(r.examples.length > 0 ? ['', 'First problems:', ...r.examples.map((e) => `- ${e}`)] : []),
    '',
  ].join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_INGEST_FUZZ_OPTIONS);
  const result = await runIngestFuzzBenchmark(options);
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, `${options.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const table = ingestFuzzMarkdown(result);
  writeFileSync(join(options.out, `${options.name}.md`), table);
  console.log(table);
  process.exit(result.passed ? 0 : 1);
}
