import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AedesPublishPacket, PublishPacket } from 'aedes';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { openStore } from '../../src/store/store.js';
import type { BrokerPeer } from './broker-peer.js';
import { installedVersion } from './package-version.js';

/**
 * The durable hop: the least any system must do that, like riskwatch, commits what it announces
 * before announcing it (durable before announced). The bare aedes hop measures only the broker;
 * riskwatch's latency over it mixes the engine's own work with the price of a SQLite commit, which
 * no durable design avoids. This hop pays that price and nothing else, so riskwatch ÷ durable hop
 * is the engine's own overhead.
 *
 * - The broker is the bare aedes hop's (aedes-broker.ts): the engine's own `startEmbeddedBroker`,
 *   in this process, same options and hooks, TCP_NODELAY on every socket.
 * - The subscriber is in-process, as the engine's is (src/broker/embedded-bus.ts):
 *   `aedes.subscribe(filter, deliver)`, no socket, no MQTT encoding.
 * - For each message on `{inputPrefix}/+` it commits one row in its own transaction to a SQLite
 *   file opened by the engine's own `openStore` (src/store/store.ts → `openDatabase`: WAL,
 *   synchronous = NORMAL, journal_size_limit, busy_timeout, foreign_keys, the engine's schema; and
 *   the engine's WAL checkpointer thread), through the same `Store.transaction` the engine commits
 *   with; then republishes the message in-process (`aedes.publish`) to `{outputPrefix}/{id}` at
 *   QoS 1, as riskwatch announces its orders (sinks/mqtt-sink.ts).
 *
 * Only the trigger topic is subscribed: the background readings go to `rw/telemetry/…`, which no
 * one here subscribes to, exactly as on the bare aedes hop.
 *
 * Lifecycle: startDurableHop() resolves once the broker accepts clients and the subscription is in
 * place → committed() any number of times → stop().
 */
export interface DurableHopPeer extends BrokerPeer {
  /** Messages to `{inputPrefix}/{id}` are committed and come back on `{outputPrefix}/{id}`. */
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  /** The better-sqlite3 release the rows are committed with. */
  readonly sqliteVersion: string;
  /** Rows committed so far. */
  committed(): number;
}

export interface DurableHopOptions {
  /** Default `bench/durable`. */
  inputPrefix?: string;
  /** Default `bench/durable-out`. */
  outputPrefix?: string;
}

const HOP_TABLE = `CREATE TABLE IF NOT EXISTS bench_durable_hop (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  received_at INTEGER NOT NULL
)`;

export async function startDurableHop(options: DurableHopOptions = {}): Promise<DurableHopPeer> {
  const inputPrefix = options.inputPrefix ?? 'bench/durable';
  const outputPrefix = options.outputPrefix ?? 'bench/durable-out';
  const dir = await mkdtemp(join(tmpdir(), 'rw-bench-durable-hop-'));
  const store = openStore(dir);
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
  try {
    store.db.exec(HOP_TABLE);
    broker = await startEmbeddedBroker({ port: 0, host: '127.0.0.1' });
  } catch (err) {
    store.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const insert = store.db.prepare('INSERT INTO bench_durable_hop (topic, payload, received_at) VALUES (?, ?, ?)');
  const aedes = broker.aedes;
  let committed = 0;

  const deliver = (packet: AedesPublishPacket, callback: () => void): void => {
    const topic = packet.topic;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    try {
      // Durable before announced: the output is published only once the row is committed.
      store.transaction(() => insert.run(topic, payload, Date.now()));
      committed++;
      const out: PublishPacket = { cmd: 'publish', topic: `${outputPrefix}/${topic.slice(topic.lastIndexOf('/') + 1)}`, payload, qos: 1, retain: false, dup: false };
      aedes.publish(out, () => undefined);
    } finally {
      // One trigger at a time (≤ 100 a second): no deep nesting of deliveries to guard against, unlike
      // the engine's telemetry subscription (embedded-bus.ts, MAX_NESTED_DELIVERIES).
      callback();
    }
  };
  await new Promise<void>((resolve) => aedes.subscribe(`${inputPrefix}/+`, deliver, resolve));

  let stopping: Promise<void> | undefined;
  return {
    url: `mqtt://127.0.0.1:${broker.port}`,
    version: installedVersion('aedes'),
    sqliteVersion: installedVersion('better-sqlite3'),
    inputPrefix,
    outputPrefix,
    committed: () => committed,
    stop: () =>
      (stopping ??= (async () => {
        await broker.close();
        store.close();
        await store.whenClosed();
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}
