import { ManualScheduler } from '../core/manual-scheduler.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { createEngine } from '../engine.js';
import { replay, type ReplaySummary } from '../engine/replay.js';
import { readRecording } from '../ingest/recording-reader.js';
import { createLogger } from '../main.js';
import { ERR_CONFIG_INVALID } from '../core/errors.js';
import { asksForHelp, parseCommandLine, usageError } from './command-line.js';
import { configArgs, configFlagHelp, configFlagOptions } from './config-flags.js';
import { loadConfig } from './config-sources.js';
import { withShippedDefaults } from './shipped-paths.js';

export const REPLAY_HELP = [
  'riskwatch replay — a recording through the whole engine on a virtual clock that follows its event time',
  '',
  'Usage: riskwatch replay FILE [--drain D] [flags]',
  '',
  '  FILE  an NDJSON recording, one {t, topic, payload} per line (riskwatch simulate --fast --out FILE)',
  '',
  'Writes to its own database (default --data data/replay), opens no ports and runs no HTTP API; prints a summary.',
  '',
  ...configFlagHelp([['--drain D', 'let the clock run on for D after the last message (e.g. 1h), so durations in progress fire']]),
].join('\n');

/**
 * `riskwatch replay FILE`: an NDJSON recording (`riskwatch simulate --fast`) through the whole
 * engine on a virtual clock that follows the recorded event time — days of fleet time in seconds,
 * with the alerts and orders a live engine would have raised. By default it writes to its own
 * database (`data/replay`), listens on no ports and runs no HTTP API, so it never mixes with a
 * running engine. `--drain D` lets the clock run on after the last message (durations in progress
 * fire).
 */
export async function replayCommand(args: string[]): Promise<ReplaySummary | undefined> {
  // Help before anything is read: not a recording named `--help`.
  if (asksForHelp(args)) {
    console.log(REPLAY_HELP);
    return undefined;
  }
  const { values, positionals } = parseCommandLine('replay', args, { ...configFlagOptions(), drain: { type: 'string' } }, 1);
  const [file] = positionals;
  if (file === undefined) throw usageError('replay', 'needs the recording FILE');
  const drainMs = values.drain === undefined ? undefined : drainDuration(values.drain as string);
  // No periodic model-state checkpoints: on a clock that runs days in seconds, one every 5 s of
  // event time would write nearly every reading (2.6× slower, bench/replay.ts), and a replay that
  // crashes is run again. The stop writes the state once, at the end.
  const base = { data: 'data/replay', http: { enabled: false }, mqtt: { port: 0, host: '127.0.0.1' }, checkpoint: { interval: '0s' }, log: { level: 'warn' } };
  const { config: loaded } = loadConfig(configArgs(values), process.env, base);
  const config = withShippedDefaults(loaded);
  const recording = readRecording(file);
  const first = await recording.first();
  if (first === undefined) {
    console.error(`${file}: no messages`);
    process.exitCode = 1;
    return undefined;
  }
  const clock = new ManualScheduler(first.t);
  const engine = createEngine(config, { scheduler: clock, logger: createLogger(config) });
  await engine.start();
  try {
    const summary = await replay(engine, clock, recording, drainMs === undefined ? {} : { drainMs });
    const span = summary.to - summary.from;
    const rate = summary.messages / Math.max(summary.wallMs / 1000, 1e-9);
    console.log(
      `replayed ${summary.messages.toLocaleString('en')} messages (${formatDuration(span)} of fleet time) in ${(summary.wallMs / 1000).toFixed(2)} s` +
        ` — ${Math.round(rate).toLocaleString('en')} messages/s; ${summary.alertEvents} alert events, ${summary.ordersCreated} orders,` +
        ` ${summary.rejected} rejected, ${summary.outOfOrder} out of order; results in ${config.data}`,
    );
    return summary;
  } finally {
    await engine.stop();
  }
}

function drainDuration(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw ERR_CONFIG_INVALID(`--drain: ${(err as Error).message}`);
  }
}
