import { ManualScheduler } from '../core/manual-scheduler.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { createEngine } from '../engine.js';
import { replay, type ReplaySummary } from '../engine/replay.js';
import { readRecording } from '../ingest/recording-reader.js';
import { createLogger } from '../main.js';
import { loadConfig } from './config-sources.js';
import { withShippedDefaults } from './shipped-paths.js';

export const REPLAY_USAGE = 'usage: riskwatch replay FILE [--drain 1h] [--data DIR] [--rules DIR] [--registry FILE]';

/**
 * `riskwatch replay FILE`: an NDJSON recording (`riskwatch simulate --fast`) through the whole
 * engine on a virtual clock that follows the recorded event time — days of fleet time in seconds,
 * with the alerts and orders a live engine would have raised. By default it writes to its own
 * database (`data/replay`), listens on no ports and runs no HTTP API, so it never mixes with a
 * running engine. `--drain D` lets the clock run on after the last message (durations in progress
 * fire).
 */
export async function replayCommand(args: string[]): Promise<ReplaySummary | undefined> {
  const { drainMs, rest: configArgs } = takeDrain(args);
  const base = { data: 'data/replay', http: { enabled: false }, mqtt: { port: 0, host: '127.0.0.1' }, log: { level: 'warn' } };
  const { config: loaded, rest } = loadConfig(configArgs, process.env, base);
  const [file, ...extra] = rest;
  if (!file || extra.length > 0) {
    console.error(REPLAY_USAGE);
    process.exitCode = 2;
    return undefined;
  }
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

function takeDrain(args: string[]): { drainMs?: number; rest: string[] } {
  const rest: string[] = [];
  let drainMs: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--drain' || arg.startsWith('--drain=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
      if (!value) throw new Error('--drain needs a duration, e.g. 1h');
      drainMs = parseDuration(value);
    } else {
      rest.push(arg);
    }
  }
  return drainMs === undefined ? { rest } : { drainMs, rest };
}
