import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { environment, parseFlags, percentiles, round, type Percentiles } from './bench-environment.js';
import type { DriverCommand, ProbeOutcome } from './burst-driver.js';
import { ask, forkBenchProcess } from './publisher-process.js';
import { startRiskwatch } from './systems/riskwatch.js';

/**
 * Issue 17, item 2 — a burst of clears must not hold up an unrelated new alarm. Real fleets clear
 * in bursts: a gas company shuts a valve for a block, a power cut ends, a misconfigured threshold
 * is fixed. Each clear is an alert event and an order update, committed and announced; the
 * question is whether a new gas leak elsewhere waits behind them. Target: 1 000 clears within
 * 100 ms delay an unrelated new gas order by ≤ 20 ms.
 *
 * Per round: `--burst` fresh gas detectors are raised (31 %LEL → red alert → order) and settle;
 * a baseline probe (a fresh detector reading 31 %LEL with nothing else going on) measures
 * publish → `riskwatch.order.created`; then the raised detectors read 0 %LEL spread over
 * `--spread-ms` and, `probeAt` ms into that spread (rounds cycle through 0, ¼, ½, ¾ and the end
 * of the spread), another fresh detector reads 31 %LEL. Its delay is its latency minus the
 * median baseline. Every detector is used once: a device already in alert raises no new order,
 * and one just cleared is held back by the cooldown.
 *
 * The devices and the receiving dispatch system (one MQTT subscriber on every order topic, as the
 * latency bench) run in a process of their own (burst-driver.ts); the engine runs here with its
 * embedded broker, the shipped scenarios and policy, and a SQLite file.
 *
 * `node --expose-gc dist/bench/burst.js [--full] [--rounds N] [--burst N] [--spread-ms MS] [--devices N] [--out DIR] [--name NAME]`
 */
export interface BurstBenchOptions {
  full: boolean;
  /** 0: 10 (quick) or 30 (--full). */
  rounds: number;
  burst: number;
  spreadMs: number;
  /** 0: enough for the rounds (the fleet has a gas detector in every second household). */
  devices: number;
  out: string;
  name: string;
}

export const DEFAULT_BURST_OPTIONS: Readonly<BurstBenchOptions> = { full: false, rounds: 0, burst: 1_000, spreadMs: 100, devices: 0, out: 'bench/results', name: 'burst' };

const TARGET_DELAY_MS = 20;

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runBurstBenchmark(options: BurstBenchOptions) {
  const rounds = options.rounds || (options.full ? 30 : 10);
  // Detectors needed: the burst and two probes per round; a gas detector sits in every 3.5th device.
  const devices = options.devices || Math.ceil(rounds * (options.burst + 2) * 3.6) + 1_000;
  const system = await startRiskwatch(devices);
  const driver = forkBenchProcess('burst-driver');
  const tell = <T>(command: DriverCommand) => ask<T>(driver, command);
  const detectors = [...system.fleet.gasDetectors];
  const take = (n: number) => {
    if (detectors.length < n) throw new Error(`benchmark: out of gas detectors (${system.fleet.gasDetectors.length}); use --devices`);
    return detectors.splice(0, n);
  };
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const baseline: number[] = [];
  const during: { probeAtMs: number; latencyMs: number | null; burstDrainMs: number | null }[] = [];
  let notRaised = 0;
  // Enabled once: a histogram re-enabled per burst counts the disabled gap as one long delay.
  loop.enable();
  try {
    await tell({ cmd: 'connect', url: system.inputUrl });
    for (let r = 0; r < rounds; r++) {
      const raised = take(options.burst);
      notRaised += await tell<number>({ cmd: 'raise', ids: raised, ratePerSecond: 5_000 });
      await settle(500);
      const quiet = await tell<ProbeOutcome>({ cmd: 'probe', clears: [], spreadMs: 0, probeId: take(1)[0]!, probeAtMs: 0 });
      if (quiet.latencyMs !== null) baseline.push(quiet.latencyMs);
      await settle(100);
      const probeAtMs = round((options.spreadMs * (r % 5)) / 4, 0);
      const outcome = await tell<ProbeOutcome>({ cmd: 'probe', clears: raised, spreadMs: options.spreadMs, probeId: take(1)[0]!, probeAtMs });
      during.push({ probeAtMs, ...outcome });
      await settle(500);
    }
    await tell({ cmd: 'end' });
  } finally {
    driver.kill();
    await system.stop();
  }
  const base = percentiles(Float64Array.from(baseline));
  const latencies = during.flatMap((d) => (d.latencyMs === null ? [] : [d.latencyMs]));
  const delays = latencies.map((l) => round(l - base.p50));
  const drains = during.flatMap((d) => (d.burstDrainMs === null ? [] : [d.burstDrainMs]));
  const missing = during.filter((d) => d.latencyMs === null).length;
  const delay = percentiles(Float64Array.from(delays));
  return {
    name: options.name,
    ...environment(),
    config: { rounds, burst: options.burst, spreadMs: options.spreadMs, devices },
    baselineMs: base,
    duringBurstMs: percentiles(Float64Array.from(latencies)),
    delayMs: delay,
    burstDrainMs: percentiles(Float64Array.from(drains)),
    burstsNotDrained: during.length - drains.length,
    missingProbes: missing,
    alertsNotRaised: notRaised,
    engineLoopDelayMs: { p99: round(loop.percentile(99) / 1e6), max: round(loop.max / 1e6) },
    rounds: during,
    target: { delayMs: TARGET_DELAY_MS, met: missing === 0 && delays.length > 0 && delay.max <= TARGET_DELAY_MS },
  };
}

export type BurstBenchResult = Awaited<ReturnType<typeof runBurstBenchmark>>;

const p = (x: Percentiles) => `${x.p50} / ${x.p90} / ${x.max} ms`;

export function burstMarkdown(r: BurstBenchResult): string {
  return [
    `### ${r.name} — ${r.config.burst.toLocaleString('en')} alert clears within ${r.config.spreadMs} ms vs a new gas order, ${r.config.rounds} rounds, ${r.machine.cpus} cores, Node ${r.versions.node}`,
    '',
    '| publish → order created, new gas alarm | probes | p50 / p90 / max |',
    '|---|---|---|',
    `| nothing else going on (baseline) | ${r.baselineMs.count} | ${p(r.baselineMs)} |`,
    `| during a burst of clears | ${r.duringBurstMs.count} | ${p(r.duringBurstMs)} |`,
    `| delay: during − baseline p50 | ${r.delayMs.count} | ${p(r.delayMs)} |`,
    '',
    '| measure | value |',
    '|---|---|',
    `| target: worst delay ≤ ${r.target.delayMs} ms, no probe lost | ${r.delayMs.max} ms, ${r.missingProbes} lost: ${r.target.met ? 'met' : '**missed**'} |`,
    `| burst start → every clear's order update received: p50 / p90 / max | ${p(r.burstDrainMs)} (${r.burstsNotDrained} bursts not fully received) |`,
    `| engine event-loop delay over the run (raising, probing, bursts): p99 / max | ${r.engineLoopDelayMs.p99} / ${r.engineLoopDelayMs.max} ms |`,
    `| alerts that were not raised before a burst | ${r.alertsNotRaised} |`,
    '',
    `Fleet: ${r.config.devices.toLocaleString('en')} devices (bench city), shipped scenarios and dispatch policy, embedded aedes, SQLite WAL. Probes sent 0, ¼, ½, ¾ and the whole spread into the burst, in turn.`,
    '',
  ].join('\n');
}

export function writeBurstResults(r: BurstBenchResult, out: string): string {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${r.name}.json`), `${JSON.stringify(r, null, 2)}\n`);
  const table = burstMarkdown(r);
  writeFileSync(join(out, `${r.name}.md`), table);
  return table;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_BURST_OPTIONS);
  const result = await runBurstBenchmark(options);
  console.log(writeBurstResults(result, options.out));
  process.exit(0);
}
