import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { resolveConfig } from '../src/core/config.js';
import { createEngine } from '../src/engine.js';
import { Registry } from '../src/registry/registry.js';
import { environment, parseFlags, round, settledHeap } from './bench-environment.js';
import { benchFleet } from './bench-fleet.js';
import { feedOnce } from './fleet-feed.js';

/**
 * Issue 4, benchmark 4 — memory per device: heap the registry and the engine state cost per
 * device, with the shipped scenarios (`rules/`) and dispatch policy, at each fleet size given.
 * Target: ≤ 1 KB per device at 100 000 and 1 000 000 devices.
 *
 * Measured as `bench/run.ts` measures it: heap after two full GCs (`--expose-gc`, or enabled at
 * run time) before the registry, after the registry and every device context, after half the fleet
 * reported once and after all of it did. Per device = registry ÷ devices + the second half's
 * growth ÷ its devices (the marginal cost of a device: the first half also pays one-off costs such
 * as JIT and buffers). Every device sends one reading its type's schema accepts, so every scenario
 * that applies holds state for it; a rejected reading (which builds no state) is counted and marks
 * the result missed.
 *
 * Readings go straight into the pipeline (`engine.ingest`, what the broker calls) rather than
 * over TCP: the figure is the state kept, not the broker's buffers.
 *
 * `node --expose-gc --max-old-space-size=8192 dist/bench/memory.js [--devices 100000,1000000]
 *   [--out bench/results] [--name memory]` — one result file per size: `{name}-{devices}.json|md`,
 * and `{name}.md` with all sizes.
 */
export interface MemoryBenchOptions {
  /** Comma-separated fleet sizes, measured in turn (smallest first) in this process. */
  devices: string;
  out: string;
  name: string;
}

export const DEFAULT_MEMORY_OPTIONS: Readonly<MemoryBenchOptions> = { devices: '100000,1000000', out: 'bench/results', name: 'memory' };

const TARGET_BYTES = 1024;

export async function runMemoryBenchmark(devices: number, name: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rw-bench-memory-'));
  const heapBefore = settledHeap();
  // Only the registry outlives this block, as when it loads a YAML file whose parsed text is dropped.
  const registry = (() => new Registry(benchFleet(devices).registry))();
  for (const device of registry.devices()) registry.context(device.id);
  // Taken after the contexts exist: the same device objects the contexts hold, not resolved copies.
  const fleet = registry.devices();
  const heapAfterRegistry = settledHeap();
  const config = resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: dataDir, rules: 'rules', log: { level: 'warn' } });
  const engine = createEngine(config, { registry, logger: pino({ level: 'warn' }) });
  await engine.start();
  let stopSeconds = NaN;
  try {
    const half = Math.floor(fleet.length / 2);
    // Event time now: nothing the shipped scenarios watch is due within the run.
    const now = Date.now();
    await feedOnce(engine, fleet.slice(0, half), () => now);
    await engine.settle();
    const heapAfterHalf = settledHeap();
    await feedOnce(engine, fleet.slice(half), () => now);
    await engine.settle();
    const heapAfterAll = settledHeap();
    const counters = { ...engine.counters };
    const health = engine.health().counters;
    const registryPerDevice = (heapAfterRegistry - heapBefore) / devices;
    const enginePerDevice = (heapAfterAll - heapAfterHalf) / (fleet.length - half);
    const perDevice = registryPerDevice + enginePerDevice;
    const stopStart = performance.now();
    await engine.stop();
    stopSeconds = round((performance.now() - stopStart) / 1000, 1);
    return {
      name: `${name}-${devices}`,
      ...environment(),
      config: {
        devices,
        deviceTypes: Object.fromEntries(Object.entries(countBy(fleet.map((d) => d.type)))),
        scenarios: engine.listScenarios().map((s) => s.id),
        dispatchPolicy: engine.dispatchPolicy().source,
        feed: 'one schema-valid reading per device, in process (engine.ingest), in two halves',
      },
      readings: { sent: fleet.length, received: counters.messages, rejected: counters.rejected, stageErrors: counters.stageErrors, alertEvents: counters.alertEvents, openAlerts: health.openAlerts },
      heap: {
        registryBytesPerDevice: round(registryPerDevice, 0),
        engineStateBytesPerDevice: round(enginePerDevice, 0),
        perDeviceBytes: round(perDevice, 0),
        fixedMiB: round((heapAfterAll - heapBefore - perDevice * devices) / 2 ** 20, 1),
        totalBytesPerDevice: round((heapAfterAll - heapBefore) / devices, 0),
        heapUsedMiB: round(heapAfterAll / 2 ** 20, 0),
        rssMiB: round(process.memoryUsage().rss / 2 ** 20, 0),
      },
      stopSeconds,
      target: { bytesPerDevice: TARGET_BYTES },
    };
  } finally {
    if (Number.isNaN(stopSeconds)) await engine.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

type MemoryResult = Awaited<ReturnType<typeof runMemoryBenchmark>>;

export function memoryMarkdown(results: readonly MemoryResult[]): string {
  const first = results[0];
  if (!first) return '';
  const ok = (r: MemoryResult) => (r.heap.perDeviceBytes <= TARGET_BYTES && r.readings.rejected === 0 ? 'met' : '**missed**');
  const cells = (f: (r: MemoryResult) => string | number) => results.map((r) => ` ${f(r)} |`).join('');
  return [
    `### memory — heap per device with the shipped scenarios (${first.config.scenarios.length}), ${first.machine.cpus} cores, Node ${first.versions.node}`,
    '',
    `| measure |${cells((r) => `${r.config.devices.toLocaleString('en')} devices`)}`,
    `|---|${results.map(() => '---|').join('')}`,
    `| heap per device: registry + engine state (target ≤ 1 KB) |${cells((r) => `${r.heap.perDeviceBytes} B — ${ok(r)}`)}`,
    `| … engine state (models, caches, alert slots; marginal, second half) |${cells((r) => `${r.heap.engineStateBytesPerDevice} B`)}`,
    `| … registry and device contexts |${cells((r) => `${r.heap.registryBytesPerDevice} B`)}`,
    `| fixed heap of a running engine |${cells((r) => `${r.heap.fixedMiB} MiB`)}`,
    `| whole heap growth ÷ devices |${cells((r) => `${r.heap.totalBytesPerDevice} B`)}`,
    `| heap used / RSS at the end |${cells((r) => `${r.heap.heapUsedMiB} MiB / ${r.heap.rssMiB} MiB`)}`,
    `| readings received / rejected |${cells((r) => `${r.readings.received.toLocaleString('en')} / ${r.readings.rejected}`)}`,
    `| graceful stop (writes every key's state) |${cells((r) => `${r.stopSeconds} s`)}`,
    '',
  ].join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_MEMORY_OPTIONS);
  const sizes = options.devices.split(',').map(Number).sort((a, b) => a - b);
  mkdirSync(options.out, { recursive: true });
  const results: MemoryResult[] = [];
  for (const size of sizes) {
    const result = await runMemoryBenchmark(size, options.name);
    results.push(result);
    writeFileSync(join(options.out, `${result.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(options.out, `${result.name}.md`), memoryMarkdown([result]));
  }
  const table = memoryMarkdown(results);
  writeFileSync(join(options.out, `${options.name}.md`), table);
  console.log(table);
  process.exit(0);
}
