import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { IncidentLabel } from '../contracts/recording.js';
import { parseDuration, formatDuration } from '../core/duration.js';
import { ERR_CONFIG_INVALID } from '../core/errors.js';
import { Registry } from '../registry/registry.js';
import { loadRegistryFile } from '../registry/registry-file.js';
import { DEFAULT_TOPIC_PREFIX } from '../core/topics.js';
import { fleetFromRegistry, generateCity, registryFileOf, type Fleet } from '../../simulators/fleet.js';
import { parseIncidentFlag, parseTimeline, planIncidents, randomIncidents, type IncidentSpec } from '../../simulators/incidents.js';
import { publishLive } from '../../simulators/live-publisher.js';
import { writeLabels, writeRecording } from '../../simulators/recording-writer.js';
import { parseSeed } from '../../simulators/random.js';
import { DEFAULT_BATCH_EVERY_MS, simulate, type SimulationOptions } from '../../simulators/simulation.js';
import { withShippedDefaults } from './shipped-paths.js';
import { asksForHelp, parseCommandLine, type FlagOptions } from './command-line.js';
import { DEFAULT_CONFIG } from '../core/config.js';

export const SIMULATE_HELP = `riskwatch simulate — a simulated fleet with injected incidents

Usage:
  riskwatch simulate --fast --out FILE [--labels FILE] [flags]   write an NDJSON recording (days of fleet time in seconds)
  riskwatch simulate --url mqtt://HOST:PORT [--rate N] [flags]   publish live to a broker

Fleet:
  --households N        a generated city of N households (else the registry's devices)
  --registry FILE       registry file (default registry/demo.yaml)
  --write-registry FILE write the generated city as a registry file (load it with --registry)
  --seed S              random seed (default 1): same seed and flags, same bytes
Time:
  --start WHEN          ISO date-time, "now" or "now-2h" (default: fast 2026-03-02T00:00:00+08:00, live now)
  --duration D          simulated span, e.g. 6h, 2d (default: fast 1d, live until Ctrl-C)
  --batch               NB-IoT batch reporting: meters upload their intervals together (every 1h)
  --batch-every D       batch upload period (implies --batch; keep it under meter-offline's 2h)
  --topic-prefix P      telemetry topic prefix (default rw)
Incidents (each becomes a line of the labels file):
  --incident K:TARGET@WHEN[/FOR]   e.g. gas_leak:gd-000012@6h/45m, elderly_no_water:hh-000003@2026-03-02T09:00:00+08:00
                        kinds: elderly_no_water tap_left_running gas_leak smoke meter_silent building_gas_event
  --incidents N         N incidents chosen from the seed
  --timeline FILE       YAML or JSON list of {kind, target, at, for}
Output:
  --out FILE            the recording (fast mode), one {t, topic, payload} per line
  --labels FILE         the injected incidents, one label per line
  --rate N              live: messages per second (default 1000)
  -h, --help            this help
`;

/** Fast mode's default start: a fixed Monday, so a recording depends on the flags alone. */
const DEFAULT_FAST_START = '2026-03-02T00:00:00+08:00';
const DEFAULT_FAST_DURATION_MS = 86_400_000;
const DEFAULT_RATE = 1000;

const OPTIONS = {
  fast: { type: 'boolean' },
  out: { type: 'string' },
  labels: { type: 'string' },
  url: { type: 'string' },
  rate: { type: 'string' },
  seed: { type: 'string' },
  households: { type: 'string' },
  registry: { type: 'string' },
  'write-registry': { type: 'string' },
  start: { type: 'string' },
  duration: { type: 'string' },
  batch: { type: 'boolean' },
  'batch-every': { type: 'string' },
  'topic-prefix': { type: 'string' },
  incident: { type: 'string', multiple: true },
  incidents: { type: 'string' },
  timeline: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagOptions;

/**
 * `riskwatch simulate`: flags → fleet, incidents, simulation → a recording file or a live broker.
 * The CLI is the process edge: it reads the wall clock for "now" (live mode) and prints progress.
 */
export async function runSimulate(args: string[], out: SimulateOutput = terminalOutput()): Promise<void> {
  if (asksForHelp(args)) {
    out.log(SIMULATE_HELP);
    return;
  }
  // An unknown flag or a missing value is a usage error (exit 2); a value that makes no sense is ERR_CONFIG_INVALID below.
  const values = parse(args);
  const fast = values.fast === true;
  if (fast === (values.url !== undefined)) throw ERR_CONFIG_INVALID('simulate: give either --fast --out FILE or --url mqtt://HOST:PORT');
  if (fast && values.out === undefined) throw ERR_CONFIG_INVALID('simulate --fast needs --out FILE');

  const seed = parseSeed(values.seed ?? '1');
  const wallNow = Date.now(); // the process edge: "now" for a live run
  const startMs = parseStart(values.start ?? (fast ? DEFAULT_FAST_START : 'now'), wallNow);
  const durationMs = values.duration !== undefined ? flagDuration('--duration', values.duration) : fast ? DEFAULT_FAST_DURATION_MS : Infinity;
  const endMs = startMs + durationMs;

  const { fleet, generated } = buildFleet(values, seed);
  if (values['write-registry'] !== undefined) {
    if (!generated) throw ERR_CONFIG_INVALID('simulate: --write-registry writes a generated city (use it with --households N)');
    writeFileSync(values['write-registry'], JSON.stringify(registryFileOf(generated)));
  }

  const window = { startMs, endMs: Number.isFinite(endMs) ? endMs : startMs + 7 * 86_400_000 };
  const specs = incidentSpecs(values, fleet, window, seed);
  let plan: ReturnType<typeof planIncidents>;
  try {
    plan = planIncidents(fleet, specs, window, seed);
  } catch (err) {
    throw ERR_CONFIG_INVALID(`simulate: ${(err as Error).message}`);
  }
  const labelsPath = values.labels ?? (values.out !== undefined && plan.labels.length > 0 ? labelsPathFor(values.out) : undefined);
  if (labelsPath !== undefined) writeLabels(plan.labels, labelsPath);

  const options: SimulationOptions = {
    fleet, seed, startMs, endMs, effects: plan.effects, topicPrefix: values['topic-prefix'] ?? DEFAULT_TOPIC_PREFIX,
  };
  if (values.batch || values['batch-every'] !== undefined) {
    options.batch = { everyMs: values['batch-every'] !== undefined ? flagDuration('--batch-every', values['batch-every']) : DEFAULT_BATCH_EVERY_MS };
  }
  const describeIncidents = (labels: IncidentLabel[]) =>
    labels.length === 0 ? 'no incidents' : `${labels.length} incident${labels.length === 1 ? '' : 's'}${labelsPath ? ` → ${labelsPath}` : ''}`;

  if (fast) {
    const began = Date.now();
    const stats = writeRecording(simulate(options), values.out!, (s) => {
      const rate = Math.round(s.messages / Math.max(0.001, (Date.now() - began) / 1000));
      out.progress(`${s.messages} messages, ${rate} msg/s, simulated ${iso(s.lastT)}`);
    });
    const seconds = (Date.now() - began) / 1000;
    out.log(
      `wrote ${stats.messages} messages (${stats.readings} readings, ${(stats.bytes / 1e6).toFixed(1)} MB) from ${fleet.devices.length} devices, ` +
        `${formatDuration(durationMs)} of fleet time in ${seconds.toFixed(1)} s (${Math.round(stats.messages / Math.max(seconds, 0.001))} msg/s) → ${values.out}; ` +
        describeIncidents(plan.labels),
    );
    return;
  }

  const rate = values.rate !== undefined ? Number(values.rate) : DEFAULT_RATE;
  if (!(rate > 0)) throw ERR_CONFIG_INVALID(`simulate: --rate must be a positive number, got ${values.rate}`);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  out.log(`simulating ${fleet.devices.length} devices from ${iso(startMs)} to ${broker(values.url!)} at up to ${rate} msg/s; ${describeIncidents(plan.labels)}; Ctrl-C to stop`);
  try {
    const result = await publishLive(simulate(options), {
      url: values.url!, rate, signal: abort.signal,
      onProgress: (p) => out.progress(`${p.messages} messages, ${Math.round(p.ratePerSecond)} msg/s, simulated ${iso(p.simulatedAt)}`),
    });
    out.log(`sent ${result.messages} messages (${result.readings} readings) in ${(result.elapsedMs / 1000).toFixed(1)} s, ${Math.round(result.ratePerSecond)} msg/s`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Where the command reports: results, and a progress line that may be rewritten in place. */
export interface SimulateOutput {
  log(line: string): void;
  progress(line: string): void;
}

/** Results on stdout; the progress line on stderr, rewritten in place on a terminal. */
function terminalOutput(): SimulateOutput {
  const tty = Boolean(process.stderr.isTTY);
  let dirty = false;
  return {
    log(line) {
      if (dirty) process.stderr.write('\n');
      dirty = false;
      process.stdout.write(`${line}\n`);
    },
    progress(line) {
      process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
      dirty = tty;
    },
  };
}

function parse(args: string[]) {
  return parseCommandLine('simulate', args, OPTIONS, 0).values as ParsedArgs<typeof OPTIONS>;
}

/** What node:util parseArgs gives for `options`, typed by them (parseCommandLine returns it untyped). */
type ParsedArgs<O extends FlagOptions> = ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];

type Flags = ReturnType<typeof parse>;

function buildFleet(values: Flags, seed: number): { fleet: Fleet; generated?: ReturnType<typeof generateCity> } {
  if (values.households !== undefined) {
    if (values.registry !== undefined) throw ERR_CONFIG_INVALID('simulate: give --households N or --registry FILE, not both');
    const households = Number(values.households);
    if (!Number.isInteger(households) || households < 1) throw ERR_CONFIG_INVALID(`simulate: --households must be a positive integer, got ${values.households}`);
    const generated = generateCity({ households, seed });
    return { fleet: fleetFromRegistry(new Registry(generated)), generated };
  }
  const file = values.registry ?? withShippedDefaults({ ...DEFAULT_CONFIG }).registry;
  return { fleet: fleetFromRegistry(loadRegistryFile(file)) };
}

function incidentSpecs(values: Flags, fleet: Fleet, window: { startMs: number; endMs: number }, seed: number): IncidentSpec[] {
  const specs: IncidentSpec[] = [];
  try {
    if (values.timeline !== undefined) specs.push(...parseTimeline(readFileSync(values.timeline, 'utf8'), window.startMs, values.timeline));
    for (const flag of values.incident ?? []) specs.push(parseIncidentFlag(flag, window.startMs));
  } catch (err) {
    throw ERR_CONFIG_INVALID(`simulate: ${(err as Error).message}`);
  }
  if (values.incidents !== undefined) {
    const n = Number(values.incidents);
    if (!Number.isInteger(n) || n < 0) throw ERR_CONFIG_INVALID(`simulate: --incidents must be a whole number, got ${values.incidents}`);
    specs.push(...randomIncidents(fleet, n, window, seed));
  }
  return specs;
}

/** `2026-03-02T00:00:00+08:00`, `now`, `now-2h`. */
function parseStart(text: string, wallNow: number): number {
  const relative = /^now(?:-(.+))?$/.exec(text);
  if (relative) return wallNow - (relative[1] ? flagDuration('--start', relative[1]) : 0);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw ERR_CONFIG_INVALID(`simulate: --start "${text}" is not an ISO date-time, "now" or "now-2h"`);
  return ms;
}

function flagDuration(flag: string, text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new Error(`"${text}" is not a positive duration`);
    return ms;
  } catch (err) {
    throw ERR_CONFIG_INVALID(`simulate: ${flag} ${(err as Error).message}`);
  }
}

function labelsPathFor(recording: string): string {
  return `${recording.replace(/\.ndjson$/, '')}.labels.ndjson`;
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

/** The broker URL without credentials, for the terminal. */
function broker(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
