import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerPeer } from './broker-peer.js';
import { getFreePort } from './free-port.js';
import { launchMosquitto, mosquittoVersion, type MosquittoProcess } from './mosquitto-process.js';

/**
 * mosquitto.conf for a benchmark: loopback only, anonymous, nothing on disk, and no limit that
 * would drop a flood — a hop that loses messages under load would look faster than it is.
 */
export function benchMosquittoConfig(port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    // Small MQTT packets otherwise wait for Nagle's algorithm and the peer's delayed ACK (the
    // engine's aedes sets TCP_NODELAY too; the hops must be compared like for like).
    'set_tcp_nodelay true',
    // mosquitto 2.0 drops a QoS 0 message for an online subscriber once that client's outgoing
    // queue holds max_queued_messages packets (default 1000; db__ready_for_flight) — with 2.0.11
    // here a flooded subscriber then got nothing more at all. The man page's "0 = no maximum"
    // drops every QoS 0 message in several 2.0.x releases (eclipse-mosquitto/mosquitto#1956,
    // #2879, #3244), so a limit no bench run reaches instead.
    'max_queued_messages 10000000',
    'max_queued_bytes 0',
    'memory_limit 0',
    // Errors and warnings only: no per-connection notices in the bench output.
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'connection_messages false',
    '',
  ].join('\n');
}

/** The Debian mosquitto as a bare publish → subscribe hop, on a free loopback port. */
export async function startMosquittoBroker(): Promise<BrokerPeer> {
  const version = mosquittoVersion();
  const dir = await mkdtemp(join(tmpdir(), 'rw-bench-mosquitto-'));
  // Started as root, mosquitto drops to the `mosquitto` user and must still read its config.
  await chmod(dir, 0o755);
  let broker: MosquittoProcess;
  try {
    broker = await launchOnFreePort(dir);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: `mqtt://127.0.0.1:${broker.port}`,
    version,
    stop: () =>
      (stopping ??= (async () => {
        await broker.stop();
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}

async function launchOnFreePort(dir: string): Promise<MosquittoProcess> {
  const configFile = join(dir, 'mosquitto.conf');
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await getFreePort();
    await writeFile(configFile, benchMosquittoConfig(port), { mode: 0o644 });
    try {
      return await launchMosquitto(configFile, port);
    } catch (err) {
      if (attempt >= 3 || !/in use/i.test((err as Error).message)) throw err;
    }
  }
}
