import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { EmbeddedBus } from '../src/broker/embedded-bus.js';
import { resolveConfig } from '../src/core/config.js';
import { createEngine } from '../src/engine.js';
import { Registry } from '../src/registry/registry.js';
import { round, settledHeap, type Percentiles } from './bench-environment.js';
import { benchFleet } from './bench-fleet.js';
import type { ProbeCommand } from './load-publisher.js';
import { ask, forkPublisher } from './publisher-process.js';
import type { DeviceType } from '../src/contracts/registry.js';

/**
 * `npm run bench`: the engine core benchmark (issue: publish → order latency, sustained ingest,
 * heap per device). The engine runs here with the shipped scenarios; a separate process publishes
 * over TCP and measures. Every figure is set beside a baseline measured in the same run: the bare
 * broker hop (publish → subscribe through the same embedded aedes, no engine).
 *
 * Flags: --devices N (10000) --rate N (5000 msg/s) --seconds N (10) --messages N (300000)
 *        --out DIR (bench/results) --name NAME (engine-core)
 *        --webhook-url URL (deliver every order to this endpoint too) --only latency (skip the rest)
 */

export interface Options {
  devices: number; rate: number; seconds: number; messages: number; out: string; name: string;
  webhookUrl: string;
  /** `latency`: only the publish → order measurement (for comparisons that repeat it). */
  only: string;
}

export const DEFAULT_OPTIONS: Readonly<Options> = {
  devices: 10_000, rate: 5_000, seconds: 10, messages: 300_000, out: 'bench/results', name: 'engine-core', webhookUrl: '', only: '',
};

function parseOptions(argv: string[]): Options {
  const o: Options = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    const value = argv[++i];
    if (!(key in o) || value === undefined) throw new Error(`unknown or incomplete flag ${argv[i - 1]}`);
    (o as unknown as Record<string, unknown>)[key] = typeof o[key] === 'number' ? Number(value) : value;
  }
  return o;
}


export async function runBenchmark(options: Options) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rw-bench-'));
  const heapBeforeEngine = settledHeap();
  // Only the id lists outlive this block: the registry keeps its own copy of the fleet, as it does
  // when it loads a YAML file whose parsed text is then dropped.
  const { registry, byType } = (() => {
    const fleet = benchFleet(options.devices);
    return { registry: new Registry(fleet.registry), byType: fleet.byType };
  })();
  for (const d of registry.devices()) registry.context(d.id);
  const heapAfterRegistry = settledHeap();
  const config = resolveConfig({
    mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: dataDir, rules: 'rules', log: { level: 'warn' },
    ...(options.webhookUrl ? { webhook: { url: options.webhookUrl, secret: 'bench-secret', concurrency: 8 } } : {}),
  });
  const engine = createEngine(config, { registry, logger: pino({ level: 'warn' }) });
  await engine.start();
  const url = `mqtt://127.0.0.1:${(engine.messageBus as EmbeddedBus).port}`;
  const child = forkPublisher();
  // Household by household, so both halves of the warm-up hold the same mix of device types.
  // Each device is sent a reading its own type's schema accepts (fleet-feed.ts), so it builds state.
  const all = registry.devices().map((d): [string, DeviceType] => [d.id, d.type]);
  const half = Math.floor(all.length / 2);

  try {
    // 0. Every device reports once, so every scenario holds state for every device it covers. In
    // two halves: the second half's heap growth is the marginal cost of a device, free of the
    // one-off costs (JIT, connections, buffers) the first messages bring.
    const warmup = (devices: [string, DeviceType][]) =>
      ask(child, {
        cmd: 'probe', inputUrl: url, outputUrl: url, outputTopics: ['bench/warmup/none'], match: { deviceIdPath: [] }, triggerTopicPrefix: 'rw/telemetry',
        rate: 50_000, durationS: devices.length / 50_000, fleet: devices, triggers: [], triggerRate: 1, graceMs: 0,
      } satisfies ProbeCommand);
    await warmup(all.slice(0, half));
    await waitFor(() => engine.counters.messages >= half);
    const heapAfterHalf = settledHeap();
    await warmup(all.slice(half));
    await waitFor(() => engine.counters.messages >= all.length);
    const heapAfterWarmup = settledHeap();

    const latencyOnly = options.only === 'latency';
    // 1. Floor: bare broker hop at the same rate.
    const hop = latencyOnly
      ? { latencyMs: { count: 0, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN }, received: 0, sent: 0 }
      : await ask<{ latencyMs: Percentiles; received: number; sent: number }>(child, { cmd: 'hop', url, rate: options.rate, durationS: Math.min(5, options.seconds) });

    // 2. publish → order latency under background load.
    const triggers = byType.gas_detector.slice(0, Math.min(byType.gas_detector.length, options.seconds * 100));
    const background = byType.water_meter;
    // The engine's event-loop delay while latency is measured: what a reading waits behind.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const latency = await ask<{ latencyMs: Percentiles; achievedRate: number; missing: number; triggers: number; sent: number }>(child, {
      cmd: 'latency', url, rate: options.rate, durationS: options.seconds, background, triggers, triggerRate: 100,
    });
    loopDelay.disable();

    // 3. Sustained ingest: as fast as it goes, nothing may be lost.
    const before = engine.counters.messages;
    const t0 = performance.now();
    const sustainedMessages = latencyOnly ? 0 : options.messages;
    if (!latencyOnly) {
      await ask<{ sent: number; sendMs: number }>(child, { cmd: 'throughput', url, messages: sustainedMessages, devices: byType.water_meter, connections: 2 });
      await waitFor(() => engine.counters.messages - before >= sustainedMessages, 60_000);
    }
    const ingestMs = performance.now() - t0;
    const received = engine.counters.messages - before;
    const heapEnd = settledHeap();

    const result = {
      name: options.name,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, platform: process.platform },
      config: { devices: options.devices, scenarios: engine.listScenarios().map((s) => s.id), rate: options.rate, seconds: options.seconds, throughputMessages: options.messages },
      bareHop: { ...hop.latencyMs, received: hop.received, sent: hop.sent },
      publishToOrder: { ...latency.latencyMs, orders: latency.latencyMs.count, missing: latency.missing, backgroundRate: round(latency.achievedRate, 0) },
      engineLoopDelayMs: { p50: round(loopDelay.percentile(50) / 1e6), p99: round(loopDelay.percentile(99) / 1e6), max: round(loopDelay.max / 1e6) },
      ratioP50ToHop: round(latency.latencyMs.p50 / hop.latencyMs.p50, 2),
      ratioP99ToHop: round(latency.latencyMs.p99 / hop.latencyMs.p99, 2),
      webhooks: { url: options.webhookUrl ? 'configured' : 'none', delivered: engine.counters.webhookDelivered, failedAttempts: engine.counters.webhookFailedAttempts, pendingAtEnd: engine.health().counters.outboxPending },
      sustained: { messages: sustainedMessages, received, lost: sustainedMessages - received, seconds: round(ingestMs / 1000, 2), msgPerSec: round(received / (ingestMs / 1000), 0), rejected: engine.counters.rejected, stageErrors: engine.counters.stageErrors },
      heap: {
        // Registry and device contexts: reference data, kept whatever scenarios run.
        registryBytesPerDevice: round((heapAfterRegistry - heapBeforeEngine) / options.devices, 0),
        // What the scenario models, caches and alert slots keep per device (marginal, second half).
        engineStateBytesPerDevice: round((heapAfterWarmup - heapAfterHalf) / (all.length - half), 0),
        // Everything the process holds, from before the registry was built, divided by devices.
        totalBytesPerDevice: round((heapAfterWarmup - heapBeforeEngine) / options.devices, 0),
        // Per device = registry + engine state; what is left of the total does not grow with devices.
        perDeviceBytes: round((heapAfterRegistry - heapBeforeEngine) / options.devices + (heapAfterWarmup - heapAfterHalf) / (all.length - half), 0),
        fixedMiB: round((heapAfterWarmup - heapBeforeEngine - ((heapAfterRegistry - heapBeforeEngine) / options.devices + (heapAfterWarmup - heapAfterHalf) / (all.length - half)) * options.devices) / 2 ** 20, 1),
        totalBytesPerDeviceAfterRun: round((heapEnd - heapBeforeEngine) / options.devices, 0),
      },
      targets: { p99Ms: 20, msgPerSec: 30_000, bytesPerDevice: 1024 },
    };
    return result;
  } finally {
    child.kill();
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error('benchmark: the engine did not receive every message in time (lost messages?)');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function markdown(r: Awaited<ReturnType<typeof runBenchmark>>): string {
  const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? 'n/a' : `${round(n, 2)} ms`);
  const ok = (good: boolean) => (good ? 'met' : '**missed**');
  return [
    `### ${r.name} — ${r.config.devices.toLocaleString('en')} devices, ${r.config.rate.toLocaleString('en')} msg/s background, ${r.machine.cpus} cores, Node ${r.machine.node}`,
    '',
    '| measure | p50 | p99 | p99.9 | max | target |',
    '|---|---|---|---|---|---|',
    `| bare aedes hop (publish → subscribe, baseline) | ${ms(r.bareHop.p50)} | ${ms(r.bareHop.p99)} | ${ms(r.bareHop.p999)} | ${ms(r.bareHop.max)} | |`,
    `| publish → order received (${r.publishToOrder.orders} orders) | ${ms(r.publishToOrder.p50)} | ${ms(r.publishToOrder.p99)} | ${ms(r.publishToOrder.p999)} | ${ms(r.publishToOrder.max)} | p99 ≤ 20 ms: ${ok(r.publishToOrder.p99 <= 20)} |`,
    `| ratio to the bare hop | ${r.ratioP50ToHop}× | ${r.ratioP99ToHop}× | | | |`,
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| sustained ingest (${r.sustained.messages.toLocaleString('en')} messages) | ${r.sustained.msgPerSec.toLocaleString('en')} msg/s, lost ${r.sustained.lost} | ≥ 30 000 msg/s, nothing lost: ${ok(r.sustained.msgPerSec >= 30_000 && r.sustained.lost === 0)} |`,
    `| heap per device: registry + engine state (what each added device costs) | ${r.heap.perDeviceBytes} B | ≤ 1 KB: ${ok(r.heap.perDeviceBytes <= 1024)} |`,
    `| … of which engine state (models, caches, alert slots) | ${r.heap.engineStateBytesPerDevice} B | |`,
    `| … of which registry and device contexts | ${r.heap.registryBytesPerDevice} B | |`,
    `| fixed heap of a running engine (broker, SQLite, schemas, scenarios, JIT) | ${r.heap.fixedMiB} MiB | |`,
    `| whole process heap ÷ devices, after every device reported / after the run | ${r.heap.totalBytesPerDevice} B / ${r.heap.totalBytesPerDeviceAfterRun} B | |`,
    `| orders never received | ${r.publishToOrder.missing} | 0 |`,
    '',
  ].join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseOptions(process.argv.slice(2));
  const result = await runBenchmark(options);
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, `${options.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const table = markdown(result);
  writeFileSync(join(options.out, `${options.name}.md`), table);
  console.log(table);
  process.exit(0);
}
