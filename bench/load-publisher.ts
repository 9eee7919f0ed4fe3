import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { DeviceType } from '../src/contracts/registry.js';
import { percentiles, type Percentiles } from './bench-environment.js';
import { quietMetrics } from './fleet-feed.js';

/**
 * The load generator, run as a separate process so publishing competes with the engine for CPU
 * the way real devices' traffic does not (they are elsewhere) — the honest pessimistic case on a
 * 2-core machine. It measures latency itself: publish time and receive time on one clock.
 *
 * Commands arrive over IPC, one at a time; results go back the same way. A latency run sends
 * `fleet` once, `system` before each system under test, then `probe` per rate step:
 *
 * - `fleet`: every device's [id, type]. Sent once per run, not with every probe: 100 000 pairs
 *   serialised over IPC cost the sending process (the one the engine runs in) ~47 ms of its event
 *   loop, and that stall landed at the start of every measured step.
 * - `system`: a new system under test starts — no device is in alarm, the sweep starts at device 0.
 * - `probe`: one rate step against the current system (see ProbeCommand).
 */
type Command =
  | { cmd: 'latency'; url: string; rate: number; durationS: number; background: string[]; triggers: string[]; triggerRate: number }
  | FleetCommand
  | SystemCommand
  | ProbeCommand
  | { cmd: 'hop'; url: string; rate: number; durationS: number }
  | { cmd: 'throughput'; url: string; messages: number; devices: string[]; connections: number };

/** The fleet every later probe feeds; replaces any fleet set before, and starts a new system. */
export interface FleetCommand {
  cmd: 'fleet';
  /** [id, type] of every device that sends background readings. */
  devices: [string, DeviceType][];
}

/** A new system under test (or a fresh one of the same kind): forget the devices in alarm, sweep from device 0. */
export interface SystemCommand {
  cmd: 'system';
  name: string;
}

const now = () => performance.now();

/** What every trigger reads: 31 %LEL, red by every shipped gas rule (and by Node-RED's flow). */
const ALARM_METRICS = Object.freeze({ gas_lel_pct: 31 });

/** Each metrics object's JSON, made once: the sweep hands out the same few hundred objects. */
const metricsJson = new WeakMap<object, string>();

/** A reading as devices send it (`{"ts":…,"metrics":{…}}`), without a JSON.stringify per message. */
function readingPayload(metrics: Readonly<Record<string, number | boolean>>): string {
  let json = metricsJson.get(metrics);
  if (json === undefined) {
    json = JSON.stringify(metrics);
    metricsJson.set(metrics, json);
  }
  return `{"ts":${Date.now()},"metrics":${json}}`;
}

/**
 * QoS 0 PUBLISH packets encoded straight into one buffer and written to the connection's socket
 * once per pacing tick. Through mqtt.js each publish cost ~7.6 µs of the publisher's CPU (measured
 * here at 50 000 msg/s: 3.8 s of CPU for 10 s of traffic), so 150 000 msg/s took more than the core
 * the publisher can have beside the engine on 2 cores, and the step reported the publisher's limit
 * (132 819 of 150 000 msg/s achieved), not the system's. Encoded here, 200 000 msg/s cost the
 * publisher about a quarter of a core (same machine, same day). The packets are the plain MQTT 3.1.1 ones
 * ([MQTT-3.3.1]: fixed header 0x30 — QoS 0, no DUP, no RETAIN —, remaining length, topic, payload; no
 * packet identifier at QoS 0), written whole and in order, so mqtt.js' own packets on the same
 * socket (the flush publish, PINGREQ) fall between them, never inside one.
 */
export class Qos0Batch {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  /** Packets added since the last flush. */
  private packets = 0;

  constructor(private readonly write: (chunk: Buffer) => void) {}

  add(topic: string, payload: string): void {
    const topicBytes = Buffer.byteLength(topic);
    const payloadBytes = Buffer.byteLength(payload);
    const remaining = 2 + topicBytes + payloadBytes;
    const size = 1 + varintLength(remaining) + remaining;
    if (this.used + size > this.buffer.length) this.grow(size);
    const b = this.buffer;
    let at = this.used;
    b[at++] = 0x30;
    for (let rest = remaining; ; ) {
      const byte = rest % 128;
      rest = Math.floor(rest / 128);
      b[at++] = rest > 0 ? byte | 0x80 : byte;
      if (rest === 0) break;
    }
    b.writeUInt16BE(topicBytes, at);
    at += 2;
    at += b.write(topic, at, 'utf8');
    at += b.write(payload, at, 'utf8');
    this.used = at;
    this.packets++;
  }

  /** Hands everything added so far to the socket as one chunk (a copy: the buffer is reused). */
  flush(): number {
    const packets = this.packets;
    if (this.used > 0) this.write(Buffer.from(this.buffer.subarray(0, this.used)));
    this.used = 0;
    this.packets = 0;
    return packets;
  }

  private grow(size: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + size));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }
}

/** Bytes of an MQTT variable byte integer ([MQTT-2.2.3]); at most 268 435 455, four bytes. */
function varintLength(n: number): number {
  if (n < 128) return 1;
  if (n < 16_384) return 2;
  if (n < 2_097_152) return 3;
  if (n < 268_435_456) return 4;
  throw new Error(`MQTT packet too large: ${n} bytes`);
}

export async function connect(url: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clean: true });
  // TCP_NODELAY on the client side too: Nagle would hold small publishes back ~40 ms.
  (client.stream as Socket).setNoDelay?.(true);
  return client;
}

/**
 * The pacing tick, ms. Each tick sends every message that is due by then (the rate × the time
 * elapsed, minus what went out already), so a late tick catches up instead of lowering the rate.
 * At 200 000 msg/s that is ~200 messages a tick, written as one chunk (Qos0Batch) — much as a real
 * fleet's traffic, coalesced by TCP, arrives at a broker. A trigger's clock starts when it is added
 * to its tick's batch, before the rest of the batch is encoded and written: that wait (tens of µs)
 * counts against the system, not for it.
 */
const TICK_MS = 1;

/**
 * Calls `send(i)` `total` times spread evenly over `durationMs`, on a 1 ms timer: between ticks the
 * process sleeps. The busy loop this replaces (setImmediate back to back) kept one of the
 * machine's two cores at 100 % whatever the rate, so at 1 000 msg/s the engine under test had to
 * share the other core with the subscriber and everything else; with timers the publisher uses
 * what its messages cost and no more. `afterTick` runs after each tick's sends (a batch's flush).
 * Resolves with the time the sends took, ms.
 */
function paced(total: number, durationMs: number, send: (i: number) => void, afterTick: () => void = () => undefined): Promise<number> {
  return new Promise((resolve) => {
    const start = now();
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const tick = () => {
      const due = Math.min(total, Math.floor(((now() - start) / durationMs) * total));
      while (sent < due) send(sent++);
      afterTick();
      if (sent < total) return;
      clearInterval(timer);
      resolve(now() - start);
    };
    if (total === 0) resolve(0);
    else timer = setInterval(tick, TICK_MS);
  });
}

/**
 * The background sweep over the fleet: which device sends the next ordinary reading, and what it
 * reads. Pure bookkeeping, no I/O, so tests drive it directly.
 *
 * - A device that has been sent a trigger is **in alarm** until the next system starts, and the
 *   sweep sends it the trigger's own reading (31 %LEL) instead of a quiet one — as a real detector
 *   in alarm keeps reporting its alarm. With quiet readings, every alert the previous step raised
 *   was cleared at once when the sweep came by (the triggers are the fleet's first gas detectors):
 *   hundreds of clears and order cancellations within milliseconds, which were riskwatch's tail.
 * - The sweep **continues where it stopped** across the steps of one system instead of restarting
 *   at device 0 every step: every device then reports at one even cadence, as a fleet on fixed
 *   intervals does, instead of the fleet's first devices reporting at every step start and its last
 *   ones only in long steps. A new system (`reset`) starts over at device 0, so every system sees
 *   the same sequence.
 */
export class FleetSweep {
  private readonly ids: string[];
  private readonly types: DeviceType[];
  private readonly byId = new Map<string, number>();
  /** 1 for a device in alarm, by fleet index: a byte lookup per reading, not a Set of strings. */
  private readonly alarm: Uint8Array;
  private alarmed = 0;
  private cursor = 0;
  /** Readings swept so far (picks the quiet reading's variant). */
  private swept = 0;

  constructor(devices: readonly (readonly [string, DeviceType])[]) {
    this.ids = devices.map(([id]) => id);
    this.types = devices.map(([, type]) => type);
    this.alarm = new Uint8Array(devices.length);
    for (let i = 0; i < this.ids.length; i++) this.byId.set(this.ids[i]!, i);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Devices in alarm now. */
  get inAlarm(): number {
    return this.alarmed;
  }

  /** A new system under test: no device in alarm, the next reading is device 0's. */
  reset(): void {
    this.alarm.fill(0);
    this.alarmed = 0;
    this.cursor = 0;
    this.swept = 0;
  }

  /** Whether `id` has been sent a trigger since the system started. */
  isInAlarm(id: string): boolean {
    const i = this.byId.get(id);
    return i !== undefined && this.alarm[i] === 1;
  }

  /** `id` was sent its trigger: the sweep sends it the alarm reading from now on. Ids outside the fleet are ignored. */
  raise(id: string): void {
    const i = this.byId.get(id);
    if (i === undefined || this.alarm[i] === 1) return;
    this.alarm[i] = 1;
    this.alarmed++;
  }

  /** The next device of the sweep: its id, and the metrics it reports (the alarm reading when in alarm). */
  next(): { id: string; metrics: Readonly<Record<string, number | boolean>>; alarm: boolean } {
    if (this.ids.length === 0) throw new Error('load publisher: the fleet is empty');
    const i = this.cursor;
    this.cursor = i + 1 === this.ids.length ? 0 : i + 1;
    const alarm = this.alarm[i] === 1;
    return { id: this.ids[i]!, metrics: alarm ? ALARM_METRICS : quietMetrics(this.types[i]!, this.swept++), alarm };
  }
}

/** The fleet `fleet` set, with its sweep; undefined until then. */
let current: FleetSweep | undefined;

/** riskwatch's publish → order latency (bench/run.ts): the probe, with water meters as the background. */
async function latency(c: Extract<Command, { cmd: 'latency' }>) {
  const sweep = new FleetSweep(c.background.map((id): [string, DeviceType] => [id, 'water_meter']));
  const { samples: _samples, ...result } = await probe({
    cmd: 'probe', inputUrl: c.url, outputUrl: c.url, outputTopics: ['rw/orders/grid/+', 'rw/orders/community/+', 'rw/orders/street/+'], outputQos: 1,
    match: { deviceIdPath: ['data', 'deviceId'], type: 'riskwatch.order.created' }, triggerTopicPrefix: 'rw/telemetry',
    rate: c.rate, durationS: c.durationS, triggers: c.triggers, triggerRate: c.triggerRate, graceMs: 5_000,
  }, sweep);
  return result;
}

/**
 * The generic probe every system under test is measured with (riskwatch, Node-RED, a bare or
 * durable hop): a paced flood of ordinary readings swept over the fleet (`fleet`, see FleetSweep)
 * at `rate` msg/s, with a trigger reading (31 %LEL on a gas detector, red by every rule)
 * `triggerRate` times a second among them. Latency is trigger publish → the system's output for
 * that device received on `outputTopics`; the device is found at `match.deviceIdPath` in the
 * output's JSON (or, with `deviceIdPath: []`, as the last topic level: a hop echoes the trigger
 * itself). Each trigger device must be fresh (never triggered before on this system): a device
 * already in alarm raises no new order.
 */
export interface ProbeCommand {
  cmd: 'probe';
  inputUrl: string;
  outputUrl: string;
  outputTopics: string[];
  /**
   * The subscription's QoS: the QoS the system publishes its outputs at (delivery is at the lower
   * of the two). Default: 0 for a topic match (a hop echoes QoS 0 triggers), else 1.
   */
  outputQos?: 0 | 1;
  match: { deviceIdPath: string[]; type?: string };
  /** Where triggers are published: `rw/telemetry` for a system, another prefix for a hop (only triggers come back). */
  triggerTopicPrefix: string;
  rate: number;
  durationS: number;
  /**
   * A fleet for this probe alone, swept from its first device with nothing in alarm, leaving the
   * run's fleet as it was (bench/run.ts's warm-up halves). Without it — every latency.ts step —
   * the probe sweeps the fleet `fleet` set once.
   */
  fleet?: [string, DeviceType][];
  triggers: string[];
  triggerRate: number;
  /** How long to wait after the flood for the last outputs. */
  graceMs: number;
}

export interface ProbeResult {
  sent: number;
  achievedRate: number;
  triggers: number;
  missing: number;
  /** Background readings that repeated a device's alarm (it was triggered earlier on this system). */
  repeatedAlarms: number;
  /** Devices in alarm when the step ended. */
  inAlarm: number;
  /** Publish → output, ms, in arrival order. */
  samples: number[];
  latencyMs: Percentiles;
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) v = (v as Record<string, unknown> | undefined)?.[key];
  return v;
}

async function probe(c: ProbeCommand, sweep: FleetSweep): Promise<ProbeResult> {
  // A device already in alarm raises no new order, so a reused trigger would wait for an output
  // that never comes: refused before anything is sent.
  const seen = new Set<string>();
  const reused = c.triggers.filter((id) => sweep.isInAlarm(id) || seen.size === seen.add(id).size);
  if (reused.length > 0) throw new Error(`load publisher: trigger devices already in alarm on this system: ${reused.slice(0, 5).join(', ')}${reused.length > 5 ? ', …' : ''}`);
  const pub = await connect(c.inputUrl);
  const sub = await connect(c.outputUrl);
  const sentAt = new Map<string, number>();
  const samples: number[] = [];
  const path = c.match.deviceIdPath;
  // The type as it appears in the serialised output (`"riskwatch.order.created"`). riskwatch sends
  // order updates and cancellations on the same topics as the orders, and at 200 000 msg/s this
  // subscriber must not parse every one of them to find the few it times: a byte search skips
  // them; what it finds is still parsed and its type compared exactly.
  const typeBytes = c.match.type === undefined ? undefined : Buffer.from(JSON.stringify(c.match.type));
  sub.on('message', (topic, payload) => {
    const t = now();
    if (sentAt.size === 0) return; // no trigger awaits an output: nothing to match
    let id: unknown;
    if (path.length === 0) id = topic.slice(topic.lastIndexOf('/') + 1);
    else {
      if (typeBytes !== undefined && payload.indexOf(typeBytes) < 0) return;
      const output = JSON.parse(payload.toString()) as { type?: string };
      if (c.match.type !== undefined && output.type !== c.match.type) return;
      id = valueAt(output, path);
    }
    const t0 = typeof id === 'string' ? sentAt.get(id) : undefined;
    if (t0 !== undefined) {
      samples.push(t - t0);
      sentAt.delete(id as string);
    }
  });
  await sub.subscribeAsync(c.outputTopics, { qos: c.outputQos ?? (path.length === 0 ? 0 : 1) });
  const total = Math.round(c.rate * c.durationS);
  const triggerEvery = Math.max(1, Math.round(c.rate / c.triggerRate));
  let trigger = 0;
  let repeatedAlarms = 0;
  // Triggers go into the same batch as the background, so each keeps its place in the flood.
  const socket = pub.stream as Socket;
  const batch = new Qos0Batch((chunk) => socket.write(chunk));
  const elapsed = await paced(total, c.durationS * 1000, (i) => {
    if (i % triggerEvery === 0 && trigger < c.triggers.length) {
      const id = c.triggers[trigger++]!;
      sweep.raise(id);
      sentAt.set(id, now());
      batch.add(`${c.triggerTopicPrefix}/${id}`, readingPayload(ALARM_METRICS));
      return;
    }
    const reading = sweep.next();
    if (reading.alarm) repeatedAlarms++;
    batch.add(`rw/telemetry/${reading.id}`, readingPayload(reading.metrics));
  }, () => batch.flush());
  // A QoS 1 round trip: every QoS 0 publish before it has left this process and reached the broker.
  await pub.publishAsync('bench/probe/flush', '', { qos: 1 });
  const deadline = now() + c.graceMs;
  while (sentAt.size > 0 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await Promise.all([pub.endAsync(), sub.endAsync()]);
  return {
    sent: total, achievedRate: elapsed > 0 ? total / (elapsed / 1000) : 0, triggers: trigger, missing: sentAt.size, repeatedAlarms, inAlarm: sweep.inAlarm,
    samples, latencyMs: percentiles(Float64Array.from(samples)),
  };
}

/** The floor: one broker hop, publish → subscribe, same payload size, same rate. */
async function hop(c: Extract<Command, { cmd: 'hop' }>) {
  const pub = await connect(c.url);
  const sub = await connect(c.url);
  const samples: number[] = [];
  sub.on('message', (_topic, payload) => {
    const t = now();
    samples.push(t - Number(JSON.parse(payload.toString()).sent));
  });
  await sub.subscribeAsync('bench/hop/+', { qos: 0 });
  const total = c.rate * c.durationS;
  await paced(total, c.durationS * 1000, (i) => {
    pub.publish(`bench/hop/${i % 1000}`, JSON.stringify({ sent: now(), metrics: { gas_lel_pct: 31, pad: 'xxxxxxxxxxxxxxxxxxxxxxxx' } }), { qos: 0 });
  });
  const deadline = now() + 3000;
  while (samples.length < total && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await Promise.all([pub.endAsync(), sub.endAsync()]);
  return { sent: total, received: samples.length, latencyMs: percentiles(Float64Array.from(samples)) };
}

/** As fast as the engine takes it: flow control by a QoS 1 round trip every 500 messages. */
async function throughput(c: Extract<Command, { cmd: 'throughput' }>) {
  const clients = await Promise.all(Array.from({ length: c.connections }, () => connect(c.url)));
  const start = now();
  const per = Math.ceil(c.messages / c.connections);
  await Promise.all(
    clients.map(async (client, k) => {
      for (let i = 0; i < per; i++) {
        const n = k * per + i;
        if (n >= c.messages) break;
        const id = c.devices[n % c.devices.length]!;
        const payload = JSON.stringify({ ts: Date.now(), metrics: { flow_lpm: n % 5 === 0 ? 1.5 : 0, total_m3: 10 + n / 1e6 } });
        if (i % 500 === 499) await client.publishAsync(`rw/telemetry/${id}`, payload, { qos: 1 });
        else client.publish(`rw/telemetry/${id}`, payload, { qos: 0 });
      }
    }),
  );
  const sendMs = now() - start;
  await Promise.all(clients.map((client) => client.endAsync()));
  return { sent: c.messages, sendMs };
}

function sweepOfRun(): FleetSweep {
  if (!current) throw new Error('load publisher: no fleet yet (send `fleet` before `probe`)');
  return current;
}

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'fleet':
      current = new FleetSweep(command.devices);
      return { devices: current.size };
    case 'system':
      sweepOfRun().reset();
      return { system: command.name };
    case 'probe':
      return probe(command, command.fleet ? new FleetSweep(command.fleet) : sweepOfRun());
    case 'latency':
      return latency(command);
    case 'hop':
      return hop(command);
    case 'throughput':
      return throughput(command);
  }
}

// Only as the forked publisher process: a test importing FleetSweep must not take over its own
// process's IPC channel.
const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  process.on('message', async (command: Command) => {
    try {
      process.send!({ ok: true, result: await run(command) });
    } catch (err) {
      process.send!({ ok: false, error: (err as Error).stack });
    }
  });
}
