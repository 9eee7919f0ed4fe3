import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { deviceTypeNames } from '../src/catalogue/device-catalogue.js';
import type { OfflineScenario } from '../src/models/index.js';
import { resolveConfig } from '../src/core/config.js';
import { createEngine, type Engine } from '../src/engine.js';
import { DEFAULT_CHECKPOINT_BUDGET } from '../src/engine/model-checkpointer.js';
import { BUILT_IN_POLICY } from '../src/policy/policy-definition.js';
import { Registry } from '../src/registry/registry.js';
import { loadScenarioFile } from '../src/scenarios/loader.js';
import { openStore } from '../src/store/store.js';
import { environment, parseFlags, round, settledHeap } from './bench-environment.js';
import { benchFleet } from './bench-fleet.js';
import { feedOnce } from './fleet-feed.js';

/**
 * Issue 10 — what model-state checkpoints cost: at each fleet size, one key per device (a copy of
 * the shipped `meter-offline` for every device type: the key the crash defect was about), every
 * device reporting once so every key is dirty, then
 *
 * - one checkpoint of every key (`engine.checkpointModels()`, on the real clock, the engine idle
 *   otherwise): its duration, and the longest the event loop was blocked while it ran — measured
 *   twice, by a 1 ms interval timer (the longest gap between its callbacks, less 1 ms) and by
 *   `monitorEventLoopDelay`. Target: no block over 20 ms at 1 000 000 keys.
 * - recovery: a new engine started on that data file (`engine.start()`: open the store, restore
 *   every key and re-arm its timer, open the broker), against the same start on an empty data file
 *   (nothing to restore) as the baseline; and when the registry watch (every device never heard
 *   from counting from the start, in slices after it) was done.
 *
 * `node --expose-gc --max-old-space-size=8192 dist/bench/checkpoint.js [--devices 100000,1000000]
 *   [--out bench/results] [--name checkpoint]`
 */
export interface CheckpointBenchOptions {
  /** Comma-separated fleet sizes (= keys), measured in turn in this process. */
  devices: string;
  out: string;
  name: string;
}

export const DEFAULT_CHECKPOINT_OPTIONS: Readonly<CheckpointBenchOptions> = { devices: '100000,1000000', out: 'bench/results', name: 'checkpoint' };

const SCENARIO_ID = 'bench-offline';
const TARGET_BLOCK_MS = 20;

function offlineForEveryDevice(rules: string): OfflineScenario {
  const shipped = loadScenarioFile(join(rules, 'meter-offline.yaml'));
  if (shipped.model !== 'offline') throw new Error('rules/meter-offline.yaml is expected to be an offline scenario');
  // One hour: nothing fires while the benchmark runs, so the checkpoint is all there is to measure.
  return { ...shipped, id: SCENARIO_ID, name: `${shipped.name} (bench copy: every device)`, appliesTo: { deviceTypes: [...deviceTypeNames()] }, levels: { blue: 3_600_000 }, dispatch: false };
}

/** An engine on `dataDir` whose `engine started` log line is kept (restoredKeys, watchedFromStart). */
function engineOn(dataDir: string, registry: Registry, scenario: OfflineScenario): { engine: Engine; started: () => { msg?: string; restoredKeys?: number } } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  // Checkpoints only when asked: the one measured is the benchmark's.
  const config = resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: dataDir, rules: 'rules', checkpoint: { interval: '0s' }, log: { level: 'info' } });
  const engine = createEngine(config, { registry, scenarios: [scenario], dispatchPolicy: BUILT_IN_POLICY, logger: pino({ level: 'info' }, stream) });
  const started = () => lines.map((l) => JSON.parse(l) as { msg?: string; restoredKeys?: number }).find((l) => l.msg === 'engine started') ?? {};
  return { engine, started };
}

/** Starts `engine`: how long `start()` took, and until every registry device was watched (ms). */
async function timedStart(engine: Engine): Promise<{ startMs: number; watchedMs: number }> {
  const began = performance.now();
  await engine.start();
  const startMs = round(performance.now() - began, 0);
  await engine.registryWatched();
  return { startMs, watchedMs: round(performance.now() - began, 0) };
}

async function measure(devices: number, scenario: OfflineScenario) {
  const dir = mkdtempSync('/tmp/ckpt-bench-');
  try {
    const fleet = benchFleet(devices);
    const data = join(dir, 'data');
    const first = engineOn(data, new Registry(fleet.registry), scenario);
    await first.engine.start();
    const feedStarted = performance.now();
    const now = Date.now();
    await feedOnce(first.engine, first.engine.registry.devices(), () => now);
    const feedMs = performance.now() - feedStarted;
    settledHeap();

    // The checkpoint, and the event loop meanwhile.
    // Each gap over 10 ms with the process's CPU time in it: a gap with little CPU is this process
    // waiting for a core (the machine is shared), not the checkpoint holding the loop.
    let longestGapMs = 0;
    let last = performance.now();
    let lastCpu = process.cpuUsage();
    const longGaps: Array<{ wallMs: number; cpuMs: number }> = [];
    const ticker = setInterval(() => {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const gap = t - last;
      if (gap > longestGapMs) longestGapMs = gap;
      if (gap > 10) longGaps.push({ wallMs: round(gap, 1), cpuMs: round((cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000, 1) });
      last = t;
      lastCpu = cpu;
    }, 1);
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const began = performance.now();
    last = began;
    lastCpu = process.cpuUsage();
    const keys = await first.engine.checkpointModels();
    const checkpointMs = performance.now() - began;
    const slices = first.engine.checkpointStats?.last;
    histogram.disable();
    clearInterval(ticker);
    await first.engine.stop();

    const store = openStore(data);
    const rows = store.modelStates.count(SCENARIO_ID);
    const fileMiB = (store.db.pragma('page_count', { simple: true }) as number) * (store.db.pragma('page_size', { simple: true }) as number) / 2 ** 20;
    store.close();
    settledHeap();

    // Recovery: the same registry file read afresh, a new engine on the checkpointed data.
    const registryBegan = performance.now();
    const registry = new Registry(benchFleet(devices).registry);
    const registryMs = round(performance.now() - registryBegan, 0);
    const restarted = engineOn(data, registry, scenario);
    const withRestore = await timedStart(restarted.engine);
    const restoredKeys = restarted.started().restoredKeys;
    await restarted.engine.stop();
    settledHeap();

    // Baseline: the same start with nothing to restore.
    const fresh = engineOn(join(dir, 'empty'), new Registry(benchFleet(devices).registry), scenario);
    const empty = await timedStart(fresh.engine);
    await fresh.engine.stop();

    return {
      devices,
      feed: { seconds: round(feedMs / 1000, 1), readingsPerSecond: round(devices / (feedMs / 1000), 0) },
      checkpoint: {
        keys, rows, seconds: round(checkpointMs / 1000, 2), keysPerSecond: round(keys / (checkpointMs / 1000), 0),
        longestBlockMs: round(Math.max(0, longestGapMs - 1), 1),
        slices: slices?.slices, longestSliceMs: slices?.longestSliceMs,
        gapsOver10Ms: longGaps.length, longestGaps: longGaps.sort((a, b) => b.wallMs - a.wallMs).slice(0, 5), loadAverage: loadavg().map((l) => round(l, 2)),
        eventLoopDelayMs: { p50: round(histogram.percentile(50) / 1e6), p99: round(histogram.percentile(99) / 1e6), max: round(histogram.max / 1e6) },
        fileMiB: round(fileMiB, 0),
      },
      recovery: {
        registryMs, startWithRestoreMs: withRestore.startMs, restoredKeys, startEmptyMs: empty.startMs,
        restoreCostMs: withRestore.startMs - empty.startMs, allWatchedAfterMs: { withRestore: withRestore.watchedMs, empty: empty.watchedMs },
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runCheckpointBenchmark(options: CheckpointBenchOptions) {
  const sizes = options.devices.split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
  const scenario = offlineForEveryDevice('rules');
  const results = [];
  for (const devices of sizes) results.push(await measure(devices, scenario));
  return {
    name: options.name,
    ...environment(),
    config: { scenario: `${SCENARIO_ID} (a copy of meter-offline for every device type: one key per device)`, budget: DEFAULT_CHECKPOINT_BUDGET, targetBlockMs: TARGET_BLOCK_MS },
    results,
  };
}

export function checkpointMarkdown(r: Awaited<ReturnType<typeof runCheckpointBenchmark>>): string {
  const lines = [
    `### ${r.name} — model-state checkpoints and recovery, ${r.machine.cpus} cores, Node ${r.versions.node}`,
    '',
    `One key per device (${r.config.scenario}); every key dirty; slices of ${r.config.budget.maxKeys.toLocaleString('en')} keys or ${r.config.budget.maxMs} ms.`,
    '',
    '| keys | checkpoint of every key | keys/s | longest event-loop block (1 ms timer / delay histogram max) | target | data file | start with restore | start, nothing to restore | restore costs | every device watched (restore / empty) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const x of r.results) {
    const block = Math.max(x.checkpoint.longestBlockMs, x.checkpoint.eventLoopDelayMs.max);
    lines.push(
      `| ${x.devices.toLocaleString('en')} | ${x.checkpoint.seconds} s (${x.checkpoint.keys.toLocaleString('en')} keys) | ${x.checkpoint.keysPerSecond.toLocaleString('en')} | `
        + `${x.checkpoint.longestBlockMs} ms / ${x.checkpoint.eventLoopDelayMs.max} ms | ≤ ${r.config.targetBlockMs} ms: ${block <= r.config.targetBlockMs ? 'met' : '**missed**'} | ${x.checkpoint.fileMiB} MiB | `
        + `${x.recovery.startWithRestoreMs} ms (${(x.recovery.restoredKeys ?? 0).toLocaleString('en')} keys) | ${x.recovery.startEmptyMs} ms | ${x.recovery.restoreCostMs} ms | ${x.recovery.allWatchedAfterMs.withRestore} / ${x.recovery.allWatchedAfterMs.empty} ms |`,
    );
  }
  lines.push(
    '',
    'Start = `engine.start()`: store, restore and re-arming, broker; reading the registry file comes before it '
      + `(${r.results.map((x) => `${x.recovery.registryMs} ms at ${x.devices.toLocaleString('en')}`).join(', ')}). A process restart adds Node's own start (~0.5 s). `
      + 'The registry watch runs in 5 ms slices after the start. Blocks over 10 ms, with the CPU time the process got in them: '
      + r.results.map((x) => `${x.devices.toLocaleString('en')} keys: ${x.checkpoint.gapsOver10Ms} (${x.checkpoint.longestGaps.map((g) => `${g.wallMs}/${g.cpuMs} ms`).join(', ')}), load average ${x.checkpoint.loadAverage[0]}`).join('; ')
      + ' — a block with little CPU time is the process waiting for a core on this shared machine.',
    '',
  );
  return lines.join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_CHECKPOINT_OPTIONS);
  const result = await runCheckpointBenchmark(options);
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, `${options.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const table = checkpointMarkdown(result);
  writeFileSync(join(options.out, `${options.name}.md`), table);
  console.log(table);
  process.exit(0);
}
