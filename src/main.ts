import { pino, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import type { RiskwatchConfig } from './core/config.js';
import { createEngine, type Engine } from './engine.js';
import { PERSONAL_FIELD_PATHS } from './registry/personal-data.js';

/**
 * The process around the engine: logger transport, HTTP listen, signals. Everything else is built
 * by `createEngine` and `buildApp`, which tests use without any of this.
 */
export interface RunningEngine {
  engine: Engine;
  app: FastifyInstance;
  httpPort?: number;
  stop(): Promise<void>;
}

export function createLogger(config: RiskwatchConfig): Logger {
  const pretty = config.log.pretty || process.stdout.isTTY;
  return pino({
    level: config.log.level,
    // Residents' personal data must never reach a log line, whatever a caller passes.
    redact: { paths: [...PERSONAL_FIELD_PATHS], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}

export async function runEngine(config: RiskwatchConfig, logger: Logger = createLogger(config)): Promise<RunningEngine> {
  const engine = createEngine(config, { logger });
  await engine.start();
  const app = buildApp(engine, { logger: false });
  let httpPort: number | undefined;
  if (config.http.enabled) {
    await app.listen({ port: config.http.port, host: config.http.host });
    const address = app.server.address();
    httpPort = typeof address === 'object' && address ? address.port : config.http.port;
    logger.info({ port: httpPort }, 'HTTP API listening');
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await app.close();
      await engine.stop();
    })());
  const result: RunningEngine = { engine, app, stop };
  if (httpPort !== undefined) result.httpPort = httpPort;
  return result;
}

/**
 * SIGHUP re-reads the dispatch policy file (the Unix convention for "reload your configuration").
 * A bad file is reported and the running policy stays in force.
 */
export function reloadPolicyOnHangup(engine: Engine, logger: Logger): void {
  process.on('SIGHUP', () => {
    engine.reloadDispatchPolicy().then(
      (info) => logger.info({ source: info.source, rules: info.rules.length }, 'dispatch policy reloaded'),
      (err: Error & { code?: string; details?: unknown }) =>
        logger.error({ code: err.code, err: err.message, details: err.details }, 'dispatch policy file rejected; the running policy stays in force'),
    );
  });
}

/** SIGINT / SIGTERM stop the engine cleanly (outbox drained, database closed) and exit. */
export function exitOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1); // a second Ctrl-C: do not wait any longer
    signalled = true;
    logger.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ err: err.message }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
