import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { acceptsTcp } from './free-port.js';
import { spawnManaged, waitUntilReady } from './managed-process.js';

/**
 * The Debian mosquitto binary as a child process: shared by the benchmark's mosquitto peer and the
 * tests' broker helper, so both start it, wait for it and stop it the same way.
 */

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
export const MOSQUITTO_INSTALL_HINT = 'install the Debian package: apt-get update && apt-get install -y mosquitto mosquitto-clients';

export interface MosquittoProcess {
  readonly port: number;
  /** The broker's recent stdout/stderr (it logs errors and warnings only). */
  output(): string;
  /** SIGTERM, then SIGKILL after 3 s. Idempotent. */
  stop(): Promise<void>;
}

/** Throws a clear, actionable error when the binary is not there. */
export function assertMosquittoInstalled(bin = MOSQUITTO_BIN): void {
  if (!existsSync(bin)) throw new Error(`mosquitto is not installed (${bin} missing): ${MOSQUITTO_INSTALL_HINT}`);
}

/** `mosquitto -h` prints "mosquitto version 2.0.11" first (and exits non-zero: that is expected). */
export function mosquittoVersion(bin = MOSQUITTO_BIN): string {
  assertMosquittoInstalled(bin);
  const help = spawnSync(bin, ['-h'], { encoding: 'utf8', timeout: 5_000 });
  const version = /mosquitto version (\S+)/.exec(`${help.stdout ?? ''}${help.stderr ?? ''}`)?.[1];
  if (!version) throw new Error(`cannot read the version from \`${bin} -h\`: ${help.error?.message ?? help.stdout}`);
  return version;
}

/**
 * Starts `bin -c configFile` and resolves once it accepts TCP on `port` (the config's listener).
 * Fails with the broker's own output when it exits first (e.g. "Address already in use", which
 * callers that picked a free port retry on) or is not listening within 10 s.
 */
export async function launchMosquitto(configFile: string, port: number, bin = MOSQUITTO_BIN): Promise<MosquittoProcess> {
  assertMosquittoInstalled(bin);
  const proc = spawnManaged(bin, ['-c', configFile]);
  try {
    await waitUntilReady(proc, `mosquitto accepted connections on port ${port}`, () => acceptsTcp(port), { timeoutMs: 10_000 });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { port, output: proc.output, stop: proc.stop };
}
