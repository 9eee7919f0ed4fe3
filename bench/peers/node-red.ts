import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { getFreePort } from './free-port.js';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process.js';
import { DEFAULT_ALERT_TOPIC_PREFIX, DEFAULT_PROCESSED_PATH, gasThresholdFlow } from './node-red-flow.js';
import { headlessSettings, settingsModule, type HeadlessSettingsOptions } from './node-red-settings.js';
import { installedVersion } from './package-version.js';

export interface NodeRedOptions {
  /** The broker the flow uses (`mqtt://host:port`), e.g. the bench's mosquitto. */
  brokerUrl: string;
  /** Telemetry topic prefix; default `rw`. */
  topicPrefix?: string;
  /** Alerts go to `{alertTopicPrefix}/{deviceId}`; default `nodered/alerts`. */
  alertTopicPrefix?: string;
  /** Give up starting after this long; default 60 s. */
  startTimeoutMs?: number;
  /** Node-RED's own log level; default `warn`. */
  logLevel?: HeadlessSettingsOptions['logLevel'];
}

/**
 * Node-RED running the gas threshold flow, ready: the flow is deployed, its MQTT client is
 * connected and subscribed (a probe reading has made the round trip), its counter endpoint answers.
 *
 * Lifecycle: startNodeRed() → processed() any number of times → stop().
 */
export interface NodeRedPeer {
  /** The node-red package's version. */
  readonly version: string;
  /** Subscribe here for the flow's alerts: `{alertTopicPrefix}/+`. */
  readonly alertTopicFilter: string;
  /** Wall-clock time from spawning the process to ready, in ms. */
  readonly startupMs: number;
  /** Readings the flow has taken in since it became ready (its readiness probes not included). */
  processed(): Promise<number>;
  /** SIGTERM (Node-RED stops its flows and disconnects), SIGKILL after 5 s; idempotent. */
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
/** Devices of readiness probes; their alerts tell that the flow's subscription is in place. */
const PROBE_DEVICE = 'rw-bench-nodered-ready-';

/**
 * Starts Node-RED headless in its own process, the way a user runs it
 * (`node node_modules/node-red/red.js --userDir DIR --settings DIR/settings.js`), with settings and
 * flows generated into a fresh temp dir (so the same code works from `bench/` and `dist/bench/`).
 */
export async function startNodeRed(options: NodeRedOptions): Promise<NodeRedPeer> {
  const started = performance.now();
  const deadline = started + (options.startTimeoutMs ?? 60_000);
  const broker = new URL(options.brokerUrl);
  if (broker.protocol !== 'mqtt:' && broker.protocol !== 'tcp:') throw new Error(`startNodeRed: plain mqtt:// brokers only, not ${options.brokerUrl}`);
  const alertTopicPrefix = options.alertTopicPrefix ?? DEFAULT_ALERT_TOPIC_PREFIX;
  const topicPrefix = options.topicPrefix ?? 'rw';

  const dir = await mkdtemp(join(tmpdir(), 'rw-bench-node-red-'));
  const flow = gasThresholdFlow({
    brokerHost: broker.hostname,
    brokerPort: broker.port === '' ? 1883 : Number(broker.port),
    topicPrefix,
    alertTopicPrefix,
  });
  await writeFile(join(dir, 'flows.json'), JSON.stringify(flow));

  let proc: ManagedProcess | undefined;
  try {
    const launched = await launchOnFreePort(dir, options, deadline);
    proc = launched.proc;
    const processedUrl = `http://127.0.0.1:${launched.port}${DEFAULT_PROCESSED_PATH}`;
    await awaitRoundTrip(options.brokerUrl, topicPrefix, alertTopicPrefix, proc, deadline);
    // Every probe that reached the flow is counted by now (awaitRoundTrip waits for the last one).
    const baseline = await readProcessed(processedUrl);
    const running = proc;
    let stopping: Promise<void> | undefined;
    return {
      version: installedVersion('node-red'),
      alertTopicFilter: `${alertTopicPrefix}/+`,
      startupMs: performance.now() - started,
      processed: async () => (await readProcessed(processedUrl)) - baseline,
      stop: () =>
        (stopping ??= (async () => {
          await running.stop();
          await rm(dir, { recursive: true, force: true });
        })()),
    };
  } catch (err) {
    await proc?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Spawns Node-RED on a free port and waits until the flow's HTTP endpoint answers. */
async function launchOnFreePort(dir: string, options: NodeRedOptions, deadline: number): Promise<{ proc: ManagedProcess; port: number }> {
  const redJs = require.resolve('node-red/red.js');
  const settingsFile = join(dir, 'settings.js');
  // Not this process's NODE_OPTIONS: a test runner's or tsx's loader hooks have no business in
  // Node-RED's process.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await getFreePort();
    await writeFile(settingsFile, settingsModule(headlessSettings({ userDir: dir, port, logLevel: options.logLevel ?? 'warn' })));
    const proc = spawnManaged(process.execPath, [redJs, '--userDir', dir, '--settings', settingsFile], { cwd: dir, env, graceMs: 5_000 });
    const processedUrl = `http://127.0.0.1:${port}${DEFAULT_PROCESSED_PATH}`;
    try {
      await waitUntilReady(proc, 'Node-RED served the flow', async () => (await tryReadProcessed(processedUrl)) !== undefined, {
        timeoutMs: Math.max(0, deadline - performance.now()),
        intervalMs: 50,
      });
      return { proc, port };
    } catch (err) {
      await proc.stop();
      if (attempt >= 3 || !/port in use|EADDRINUSE/i.test((err as Error).message)) throw err;
    }
  }
}

/**
 * Publishes gas probe readings until the flow answers one with an alert: only then is its MQTT
 * client connected AND subscribed (before that, the broker drops the probes — nobody subscribed).
 * Then waits for the alert of the last probe sent, so no probe is still on its way to the counter.
 */
async function awaitRoundTrip(brokerUrl: string, topicPrefix: string, alertTopicPrefix: string, proc: ManagedProcess, deadline: number): Promise<void> {
  const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4, reconnectPeriod: 0, clean: true });
  try {
    const answered = new Set<number>();
    client.on('message', (topic) => {
      const at = topic.lastIndexOf(PROBE_DEVICE);
      if (at >= 0) answered.add(Number(topic.slice(at + PROBE_DEVICE.length)));
    });
    await client.subscribeAsync(`${alertTopicPrefix}/+`, { qos: 0 });
    let sent = 0;
    const probe = (): void => {
      sent++;
      client.publish(`${topicPrefix}/telemetry/${PROBE_DEVICE}${sent}`, JSON.stringify({ ts: Date.now(), metrics: { gas_lel_pct: 100 } }), { qos: 0 });
    };
    // Real time: a real broker and a real Node-RED process, not engine logic.
    while (answered.size === 0) {
      if (proc.failure()) throw new Error(`${proc.failure()} before its MQTT subscription was ready:\n${proc.output()}`);
      if (performance.now() > deadline) throw new Error(`Node-RED did not answer a probe reading through ${brokerUrl} in time:\n${proc.output()}`);
      probe();
      await sleep(100);
    }
    while (!answered.has(sent)) {
      if (performance.now() > deadline) throw new Error(`Node-RED lost probe ${sent} after answering one:\n${proc.output()}`);
      await sleep(10);
    }
  } finally {
    await client.endAsync();
  }
}

/** The flow's counter, or undefined while its endpoint does not answer yet. */
async function tryReadProcessed(url: string): Promise<number | undefined> {
  try {
    return await readProcessed(url);
  } catch {
    return undefined;
  }
}

async function readProcessed(url: string): Promise<number> {
  // A real socket to a real process: a real-time timeout is right here.
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const body = (await response.json()) as { processed?: unknown };
  if (typeof body.processed !== 'number') throw new Error(`GET ${url}: no count in ${JSON.stringify(body)}`);
  return body.processed;
}
