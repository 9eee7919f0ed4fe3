import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchMosquitto } from '../../bench/peers/mosquitto-process.js';
import { getFreePort } from './free-port.js';

/**
 * A real mosquitto for integration tests. Project policy (ARCHITECTURE.md): testcontainers where a
 * container runtime exists, otherwise the Debian binary — CI machines have no Docker engine, so
 * the binary is the path that runs there and here. Never a mock; if neither is available the
 * tests fail loudly.
 */
export interface Mosquitto {
  /** `mqtt://127.0.0.1:{port}` */
  url: string;
  host: string;
  port: number;
  runtime: 'binary' | 'container';
  /** SIGTERM, then SIGKILL after 3 s; removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  /** username → password; when given, anonymous clients are refused. */
  users?: Record<string, string>;
  /** Extra mosquitto.conf lines. */
  config?: string[];
  /** A fixed port (e.g. to restart a broker where clients expect it); default: a free one. */
  port?: number;
}

const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD_BIN = process.env.MOSQUITTO_PASSWD_BIN ?? '/usr/bin/mosquitto_passwd';
/** Same release as Debian bookworm's package, so both paths test the same broker. */
const MOSQUITTO_IMAGE = 'eclipse-mosquitto:2.0.11';
const INSTALL_HINT = 'install the Debian package: apt-get update && apt-get install -y mosquitto mosquitto-clients';

let runtimeDecision: Promise<{ runtime: 'binary' | 'container'; reason: string }> | undefined;

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  runtimeDecision ??= decideRuntime().then((decision) => {
    console.info(`[mosquitto] using the ${decision.runtime === 'binary' ? `local binary ${MOSQUITTO_BIN}` : `container ${MOSQUITTO_IMAGE}`}: ${decision.reason}`);
    return decision;
  });
  const { runtime } = await runtimeDecision;
  return runtime === 'container' ? startContainer(options) : startBinary(options);
}

// --- which runtime ---------------------------------------------------------------------------

/** Is a container engine reachable? No socket and no DOCKER_HOST, or `docker info` failing: no. */
export function detectContainerRuntime(): { available: boolean; reason: string } {
  if (!existsSync('/var/run/docker.sock') && !process.env.DOCKER_HOST) {
    return { available: false, reason: 'no /var/run/docker.sock and no DOCKER_HOST' };
  }
  const info = spawnSync('docker', ['info'], { timeout: 10_000, stdio: 'ignore' });
  if (info.error || info.status !== 0) {
    return { available: false, reason: `\`docker info\` failed (${info.error?.message ?? `exit ${info.status}`})` };
  }
  return { available: true, reason: '`docker info` succeeded' };
}

async function decideRuntime(): Promise<{ runtime: 'binary' | 'container'; reason: string }> {
  if (process.env.RW_TEST_BROKER_RUNTIME === 'binary') return { runtime: 'binary', reason: 'RW_TEST_BROKER_RUNTIME=binary' };
  const detected = detectContainerRuntime();
  if (!detected.available) return { runtime: 'binary', reason: `no container runtime: ${detected.reason}` };
  if (!(await loadTestcontainers())) {
    return { runtime: 'binary', reason: 'a container runtime exists but the testcontainers package is not installed' };
  }
  return { runtime: 'container', reason: detected.reason };
}

// --- local binary ----------------------------------------------------------------------------

async function startBinary(options: MosquittoOptions): Promise<Mosquitto> {
  if (!existsSync(MOSQUITTO_BIN)) {
    throw new Error(`mosquitto is not installed (${MOSQUITTO_BIN} missing): ${INSTALL_HINT}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'rw-mosquitto-'));
  // Started as root, mosquitto drops to the `mosquitto` user before reading the password file.
  await chmod(dir, 0o755);
  try {
    const passwordFile = options.users ? await writePasswordFile(dir, options.users) : undefined;
    // A free port can be taken between probing and binding: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await getFreePort());
      const configFile = join(dir, 'mosquitto.conf');
      await writeFile(configFile, mosquittoConfig(`${port} 127.0.0.1`, passwordFile, options.config));
      try {
        return await launch(configFile, port, dir);
      } catch (err) {
        if (attempt >= 3 || !/in use/i.test((err as Error).message)) throw err;
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function mosquittoConfig(listener: string, passwordFile: string | undefined, extra: string[] = []): string {
  return [
    `listener ${listener}`,
    passwordFile ? 'allow_anonymous false' : 'allow_anonymous true',
    ...(passwordFile ? [`password_file ${passwordFile}`] : []),
    // Sessions live in memory for the broker's lifetime; nothing written to disk.
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ...extra,
    '',
  ].join('\n');
}

async function writePasswordFile(dir: string, users: Record<string, string>): Promise<string> {
  if (!existsSync(MOSQUITTO_PASSWD_BIN)) throw new Error(`${MOSQUITTO_PASSWD_BIN} missing: ${INSTALL_HINT}`);
  const file = join(dir, 'passwd');
  await writeFile(file, '', { mode: 0o644 });
  for (const [user, password] of Object.entries(users)) {
    const result = spawnSync(MOSQUITTO_PASSWD_BIN, ['-b', file, user, password], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`mosquitto_passwd failed: ${result.stderr || result.error?.message}`);
  }
  await chmod(file, 0o644);
  return file;
}

async function launch(configFile: string, port: number, dir: string): Promise<Mosquitto> {
  // Spawning, waiting for the listener and stopping are shared with the benchmark's mosquitto peer.
  const broker = await launchMosquitto(configFile, port, MOSQUITTO_BIN);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    })());
  return { url: `mqtt://127.0.0.1:${port}`, host: '127.0.0.1', port, runtime: 'binary', stop };
}

// --- container (where a runtime exists) -------------------------------------------------------

/** The part of testcontainers' API used here (testcontainers 12). */
interface Testcontainers {
  GenericContainer: new (image: string) => GenericContainer;
  Wait: { forListeningPorts(): unknown };
}
interface GenericContainer {
  withExposedPorts(...ports: number[]): GenericContainer;
  withCopyContentToContainer(files: Array<{ content: string | Buffer; target: string; mode?: number }>): GenericContainer;
  withWaitStrategy(strategy: unknown): GenericContainer;
  start(): Promise<{ getHost(): string; getMappedPort(port: number): number; stop(): Promise<unknown> }>;
}

async function loadTestcontainers(): Promise<Testcontainers | undefined> {
  // Not a dependency of this project (machines here have no container engine); used when present.
  const specifier = 'testcontainers';
  try {
    return (await import(specifier)) as Testcontainers;
  } catch {
    return undefined;
  }
}

async function startContainer(options: MosquittoOptions): Promise<Mosquitto> {
  const tc = await loadTestcontainers();
  if (!tc) throw new Error('testcontainers vanished after detection');
  const files: Array<{ content: string | Buffer; target: string; mode?: number }> = [];
  let passwordFile: string | undefined;
  if (options.users) {
    const dir = await mkdtemp(join(tmpdir(), 'rw-mosquitto-'));
    try {
      files.push({ content: await readFile(await writePasswordFile(dir, options.users)), target: '/mosquitto/config/passwd', mode: 0o644 });
      passwordFile = '/mosquitto/config/passwd';
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  files.push({ content: mosquittoConfig('1883 0.0.0.0', passwordFile, options.config), target: '/mosquitto/config/mosquitto.conf' });
  const container = await new tc.GenericContainer(MOSQUITTO_IMAGE)
    .withExposedPorts(1883)
    .withCopyContentToContainer(files)
    .withWaitStrategy(tc.Wait.forListeningPorts())
    .start();
  const host = container.getHost();
  const port = container.getMappedPort(1883);
  let stopping: Promise<void> | undefined;
  return {
    url: `mqtt://${host}:${port}`,
    host,
    port,
    runtime: 'container',
    stop: () => (stopping ??= container.stop().then(() => undefined)),
  };
}
