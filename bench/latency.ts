import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeCommand, ProbeResult } from './load-publisher.js';
import { environment, parseFlags, percentiles, round, type Percentiles } from './bench-environment.js';
import { latencyCdfSvg, type CdfSeries } from './latency-cdf-svg.js';
import { startAedesBroker } from './peers/aedes-broker.js';
import { startMosquittoBroker } from './peers/mosquitto-broker.js';
import { startNodeRed } from './peers/node-red.js';
import { ask, forkPublisher } from './publisher-process.js';
import { probeFleet, startRiskwatch, type RiskwatchSystem } from './systems/riskwatch.js';
import type { ProbeFleet, SystemUnderTest } from './system-under-test.js';

/**
 * Issue 4, benchmarks 1, 2 and 6 in one run, so every comparison is measured side by side:
 *
 * - end-to-end latency, publish → order received by an external MQTT subscriber, at each rate of
 *   `--rates` (default 1k, 5k, 20k, 50k msg/s) over a fleet of `--devices` (100 000) with the shipped
 *   scenarios; target p99 ≤ 10 ms at 20 000 msg/s;
 * - the floor at the same rates: a bare broker hop (publish → subscribe) on aedes — the broker
 *   riskwatch embeds, in this process as the engine's is — and on mosquitto (Debian package); target:
 *   riskwatch ≤ 1.5× the bare aedes hop;
 * - the alternative: Node-RED (headless, MQTT in → the same threshold rule → MQTT out, on mosquitto)
 *   at the same rates;
 * - maximum sustained throughput of riskwatch and of Node-RED: rates step up until a step loses a
 *   reading or an output, or its p99 reaches 1 s; targets ≥ 50 000 msg/s and ≥ 3× Node-RED.
 *
 * One load publisher process drives every system with the same fleet, payloads and triggers
 * (load-publisher.ts, `probe`). Each rate step feeds `--seconds` of traffic; triggers (a gas reading
 * of 31 %LEL, red by every rule) are 100 per second or a tenth of the traffic, whichever is less.
 *
 * `node --expose-gc dist/bench/latency.js [--full] [--devices N] [--seconds S] [--rates a,b,…]
 *   [--throughput-rates a,b,…] [--node-red-throughput-rates a,b,…] [--skip-peers] [--out DIR] [--name NAME]`
 */
export interface LatencyBenchOptions {
  full: boolean;
  devices: number;
  /** Seconds of traffic per step; 0: 3 (quick) or 15 (--full). */
  seconds: number;
  rates: string;
  /** riskwatch's throughput search, ascending; empty: per mode. */
  throughputRates: string;
  nodeRedThroughputRates: string;
  skipPeers: boolean;
  out: string;
  name: string;
}

export const DEFAULT_LATENCY_OPTIONS: Readonly<LatencyBenchOptions> = {
  full: false, devices: 100_000, seconds: 0, rates: '1000,5000,20000,50000', throughputRates: '', nodeRedThroughputRates: '',
  skipPeers: false, out: 'bench/results', name: 'latency',
};

const TARGETS = { p99MsAt20k: 10, ratioToAedesHop: 1.5, msgPerSec: 50_000, timesNodeRed: 3, sustainedP99Ms: 1_000 };
/** A step whose publisher reached less than this share of its rate measured the publisher, not the system. */
const PUBLISHER_SHORTFALL = 0.95;

export interface StepResult {
  system: string;
  rate: number;
  achievedRate: number;
  sent: number;
  /** Readings the system did not take in (null: it cannot tell, a bare broker). */
  lost: number | null;
  triggers: number;
  /** Triggers whose output never arrived. */
  missing: number;
  latencyMs: Percentiles;
}

interface Measured extends StepResult {
  samples: number[];
}

export interface ThroughputSearch {
  system: string;
  /** The highest step that passed; null when none did. */
  bestMsgPerSec: number | null;
  /** Why the search stopped: the first failing step's reason, or `all steps passed`. */
  stoppedBecause: string;
  steps: (StepResult & { passed: boolean; reason: string })[];
}

const list = (s: string) => s.split(',').map((v) => Number(v.trim())).filter((v) => v > 0);

/** Hands out each trigger device once: a device already in alert raises no new order. */
class TriggerPool {
  private next = 0;
  constructor(private readonly ids: readonly string[]) {}
  take(n: number): string[] {
    if (this.next + n > this.ids.length) throw new Error(`benchmark: out of trigger devices (${this.ids.length}); use more devices or shorter steps`);
    return this.ids.slice(this.next, (this.next += n));
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition()) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

/** One rate step against one system: the probe's latency, plus what the system did not take in. */
async function measureStep(publisher: ChildProcess, sut: SystemUnderTest, fleet: ProbeFleet, pool: TriggerPool, rate: number, seconds: number): Promise<Measured> {
  const triggerRate = Math.min(100, rate / 10);
  const triggers = pool.take(Math.ceil(triggerRate * seconds) + 1);
  const before = await sut.processed();
  const command: ProbeCommand = {
    cmd: 'probe', inputUrl: sut.inputUrl, outputUrl: sut.outputUrl, outputTopics: sut.outputTopics, match: sut.match,
    triggerTopicPrefix: sut.triggerTopicPrefix, rate, durationS: seconds, fleet: fleet.devices, triggers, triggerRate, graceMs: 5_000,
  };
  const probe = await ask<ProbeResult>(publisher, command);
  let lost: number | null = null;
  if (before !== null) {
    // Triggers sent to another prefix (a hop) are not readings the system takes in.
    const expected = before + probe.sent;
    await until(async () => ((await sut.processed()) ?? 0) >= expected, 10_000);
    lost = expected - ((await sut.processed()) ?? 0);
  }
  return {
    system: sut.name, rate, achievedRate: round(probe.achievedRate, 0), sent: probe.sent, lost, triggers: probe.triggers, missing: probe.missing,
    latencyMs: percentiles(Float64Array.from(probe.samples)), samples: probe.samples,
  };
}

const strip = ({ samples: _samples, ...step }: Measured): StepResult => step;

async function searchThroughput(publisher: ChildProcess, sut: SystemUnderTest, fleet: ProbeFleet, pool: TriggerPool, rates: number[], seconds: number): Promise<ThroughputSearch> {
  const steps: ThroughputSearch['steps'] = [];
  let best: number | null = null;
  let stoppedBecause = 'all steps passed';
  for (const rate of rates) {
    const step = strip(await measureStep(publisher, sut, fleet, pool, rate, seconds));
    const reasons: string[] = [];
    if (step.achievedRate < rate * PUBLISHER_SHORTFALL) reasons.push(`the publisher reached only ${step.achievedRate.toLocaleString('en')} msg/s`);
    if (step.lost !== null && step.lost > 0) reasons.push(`${step.lost.toLocaleString('en')} readings not taken in`);
    if (step.missing > 0) reasons.push(`${step.missing} of ${step.triggers} outputs never arrived`);
    if (!(step.latencyMs.p99 < TARGETS.sustainedP99Ms)) reasons.push(`p99 ${step.latencyMs.p99} ms ≥ 1 s`);
    steps.push({ ...step, passed: reasons.length === 0, reason: reasons.join('; ') });
    if (reasons.length > 0) {
      stoppedBecause = `${rate.toLocaleString('en')} msg/s: ${reasons.join('; ')}`;
      break;
    }
    best = rate;
  }
  return { system: sut.name, bestMsgPerSec: best, stoppedBecause, steps };
}

/** A bare broker as a system under test: triggers go to `bench/hop/{id}` and come straight back. */
function bareHop(name: string, description: string, url: string, stop: () => Promise<void>): SystemUnderTest {
  return {
    name, description, inputUrl: url, outputUrl: url, outputTopics: ['bench/hop/+'], match: { deviceIdPath: [] },
    triggerTopicPrefix: 'bench/hop', processed: async () => null, stop,
  };
}

export async function runLatencyBenchmark(options: LatencyBenchOptions) {
  const seconds = options.seconds || (options.full ? 15 : 3);
  const rates = list(options.rates);
  const givenRates = list(options.throughputRates);
  const givenNodeRedRates = list(options.nodeRedThroughputRates);
  const throughputRates = givenRates.length > 0 ? givenRates
    : options.full ? [50_000, 75_000, 100_000, 125_000, 150_000, 175_000, 200_000, 250_000] : [50_000, 100_000, 150_000, 200_000];
  const nodeRedRates = givenNodeRedRates.length > 0 ? givenNodeRedRates
    : options.full ? [5_000, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 75_000, 100_000] : [10_000, 25_000, 50_000, 75_000, 100_000];

  const measured: Measured[] = [];
  const systems: Record<string, string> = {};
  const throughput: ThroughputSearch[] = [];
  const publisher = forkPublisher();
  // Every system is fed the same city. The peers run first, while this process holds no engine:
  // the bare aedes hop shares the process, and an idle engine's heap would only slow it down.
  const fleet = probeFleet(options.devices);
  let riskwatch: RiskwatchSystem | undefined;
  try {
    if (!options.skipPeers) {
      for (const start of [startAedesBroker, startMosquittoBroker]) {
        const broker = await start();
        const name = start === startAedesBroker ? 'bare aedes hop' : 'bare mosquitto hop';
        const sut = bareHop(name, `${name.replace('bare ', '')} ${broker.version}: publish → subscribe, no engine`, broker.url, broker.stop);
        systems[name] = sut.description;
        try {
          const pool = new TriggerPool(fleet.gasDetectors);
          for (const rate of rates) measured.push(await measureStep(publisher, sut, fleet, pool, rate, seconds));
        } finally {
          await sut.stop();
        }
      }
      const mosquitto = await startMosquittoBroker();
      const nodeRed = await startNodeRed({ brokerUrl: mosquitto.url });
      const nodeRedSut: SystemUnderTest = {
        name: 'Node-RED', description: `Node-RED ${nodeRed.version} headless, MQTT in → function (the gas-concentration thresholds) → MQTT out, on mosquitto ${mosquitto.version}`,
        inputUrl: mosquitto.url, outputUrl: mosquitto.url, outputTopics: ['nodered/alerts/+'], match: { deviceIdPath: ['deviceId'] },
        triggerTopicPrefix: 'rw/telemetry', processed: () => nodeRed.processed(), stop: async () => {
          await nodeRed.stop();
          await mosquitto.stop();
        },
      };
      systems['Node-RED'] = nodeRedSut.description;
      try {
        const pool = new TriggerPool(fleet.gasDetectors);
        for (const rate of rates) measured.push(await measureStep(publisher, nodeRedSut, fleet, pool, rate, seconds));
        throughput.push(await searchThroughput(publisher, nodeRedSut, fleet, pool, nodeRedRates, seconds));
      } finally {
        await nodeRedSut.stop();
      }
    }

    riskwatch = await startRiskwatch(options.devices);
    const engine = riskwatch.engine;
    // Every device reports once, so every scenario holds state for it before anything is measured.
    const warmup = await ask<ProbeResult>(publisher, {
      cmd: 'probe', inputUrl: riskwatch.inputUrl, outputUrl: riskwatch.outputUrl, outputTopics: riskwatch.outputTopics, match: riskwatch.match,
      triggerTopicPrefix: riskwatch.triggerTopicPrefix, rate: 50_000, durationS: fleet.devices.length / 50_000, fleet: fleet.devices, triggers: [], triggerRate: 1, graceMs: 0,
    } satisfies ProbeCommand);
    await until(async () => engine.counters.messages >= warmup.sent, 30_000);
    // Trigger devices are riskwatch's own from here: a device already in alert raises no new order.
    const pool = new TriggerPool(fleet.gasDetectors);
    systems.riskwatch = riskwatch.description;
    for (const rate of rates) measured.push(await measureStep(publisher, riskwatch, fleet, pool, rate, seconds));
    throughput.unshift(await searchThroughput(publisher, riskwatch, fleet, pool, throughputRates, seconds));
    const counters = { ...engine.counters };

    const series: CdfSeries[] = measured.map((m) => ({ label: `${m.system} @ ${(m.rate / 1000).toLocaleString('en')}k msg/s`, samples: m.samples }));
    const steps = measured.map(strip);
    const ratios = rates.map((rate) => {
      const ours = steps.find((s) => s.system === 'riskwatch' && s.rate === rate)!;
      const hop = steps.find((s) => s.system === 'bare aedes hop' && s.rate === rate);
      return { rate, p50: hop ? round(ours.latencyMs.p50 / hop.latencyMs.p50, 1) : null, p99: hop ? round(ours.latencyMs.p99 / hop.latencyMs.p99, 1) : null };
    });
    const ourBest = throughput.find((t) => t.system === 'riskwatch')?.bestMsgPerSec ?? null;
    const theirBest = throughput.find((t) => t.system === 'Node-RED')?.bestMsgPerSec ?? null;
    return {
      name: options.name,
      ...environment(),
      config: { devices: options.devices, secondsPerStep: seconds, rates, throughputRates, nodeRedThroughputRates: nodeRedRates, full: options.full, triggersPerSecond: 'min(100, rate/10)' },
      systems,
      latency: steps,
      ratioToAedesHop: ratios,
      throughput,
      throughputRatioToNodeRed: ourBest !== null && theirBest ? round(ourBest / theirBest, 1) : null,
      riskwatchCounters: counters,
      targets: TARGETS,
      cdf: series,
    };
  } finally {
    publisher.kill();
    await riskwatch?.stop();
  }
}

export type LatencyBenchResult = Awaited<ReturnType<typeof runLatencyBenchmark>>;

const ms = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : `${n} ms`);
const met = (good: boolean) => (good ? 'met' : '**missed**');
const rateLabel = (r: number) => `${r.toLocaleString('en')}`;

export function latencyMarkdown(r: LatencyBenchResult): string {
  const ours20k = r.latency.find((s) => s.system === 'riskwatch' && s.rate === 20_000);
  const ourBest = r.throughput.find((t) => t.system === 'riskwatch');
  const lines = [
    `### ${r.name} — ${r.config.devices.toLocaleString('en')} devices, ${r.config.secondsPerStep} s per step, ${r.machine.cpus} cores, Node ${r.versions.node}`,
    '',
    'Publish → output received by an external MQTT subscriber (riskwatch: the dispatch order; Node-RED: its alert message; a bare broker: the reading itself).',
    '',
    '| system | msg/s (achieved) | outputs | p50 | p99 | p99.9 | max | lost readings | missing outputs |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.latency.map((s) => `| ${s.system} | ${rateLabel(s.rate)} (${rateLabel(s.achievedRate)}) | ${s.latencyMs.count} | ${ms(s.latencyMs.p50)} | ${ms(s.latencyMs.p99)} | ${ms(s.latencyMs.p999)} | ${ms(s.latencyMs.max)} | ${s.lost ?? 'n/a'} | ${s.missing} |`),
    '',
    '| riskwatch ÷ bare aedes hop | p50 | p99 |',
    '|---|---|---|',
    ...r.ratioToAedesHop.map((x) => `| at ${rateLabel(x.rate)} msg/s | ${x.p50 ?? 'n/a'}× | ${x.p99 ?? 'n/a'}× |`),
    '',
    '| maximum sustained throughput (nothing lost, p99 < 1 s) | msg/s | stopped because |',
    '|---|---|---|',
    ...r.throughput.map((t) => `| ${t.system} | ${t.bestMsgPerSec === null ? 'none passed' : rateLabel(t.bestMsgPerSec)} | ${t.stoppedBecause} |`),
    '',
    '| target | measured | |',
    '|---|---|---|',
    `| p99 ≤ ${r.targets.p99MsAt20k} ms at 20 000 msg/s | ${ms(ours20k?.latencyMs.p99)} | ${ours20k ? met(ours20k.latencyMs.p99 <= r.targets.p99MsAt20k && ours20k.missing === 0) : 'not run'} |`,
    `| ≥ ${rateLabel(r.targets.msgPerSec)} msg/s sustained | ${ourBest?.bestMsgPerSec === null || !ourBest ? 'none' : rateLabel(ourBest.bestMsgPerSec)} | ${met((ourBest?.bestMsgPerSec ?? 0) >= r.targets.msgPerSec)} |`,
    ...r.ratioToAedesHop.filter((x) => x.p50 !== null).map((x) => `| ≤ ${r.targets.ratioToAedesHop}× the bare aedes hop at ${rateLabel(x.rate)} msg/s (p50 / p99) | ${x.p50}× / ${x.p99}× | ${met(x.p50! <= r.targets.ratioToAedesHop && x.p99! <= r.targets.ratioToAedesHop)} |`),
    `| ≥ ${r.targets.timesNodeRed}× Node-RED's throughput | ${r.throughputRatioToNodeRed === null ? 'n/a' : `${r.throughputRatioToNodeRed}×`} | ${r.throughputRatioToNodeRed === null ? 'not run' : met(r.throughputRatioToNodeRed >= r.targets.timesNodeRed)} |`,
    '',
    ...Object.entries(r.systems).map(([name, description]) => `- **${name}**: ${description}`),
    '',
  ];
  return lines.join('\n');
}

/** Writes `<name>.json` (without the raw samples), `<name>.md` and `<name>-cdf.svg`. */
export function writeLatencyResults(r: LatencyBenchResult, out: string): string {
  mkdirSync(out, { recursive: true });
  const { cdf, ...summary } = r;
  writeFileSync(join(out, `${r.name}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  const table = `${latencyMarkdown(r)}\n![latency CDF](${r.name}-cdf.svg)\n`;
  writeFileSync(join(out, `${r.name}.md`), table);
  writeFileSync(join(out, `${r.name}-cdf.svg`), latencyCdfSvg(`Publish → output latency, ${r.config.devices.toLocaleString('en')} devices (${r.machine.cpus} cores)`, cdf));
  return table;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_LATENCY_OPTIONS);
  const result = await runLatencyBenchmark(options);
  console.log(writeLatencyResults(result, options.out));
  process.exit(0);
}
