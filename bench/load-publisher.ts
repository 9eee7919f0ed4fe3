import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import type { DeviceType } from '../src/contracts/registry.js';
import { percentiles, type Percentiles } from './bench-environment.js';
import { quietMetrics } from './fleet-feed.js';

/**
 * The load generator, run as a separate process so publishing competes with the engine for CPU
 * the way real devices' traffic does not (they are elsewhere) — the honest pessimistic case on a
 * 2-core machine. It measures latency itself: publish time and receive time on one clock.
 *
 * Commands arrive over IPC; results go back the same way.
 */
type Command =
  | { cmd: 'latency'; url: string; rate: number; durationS: number; background: string[]; triggers: string[]; triggerRate: number }
  | ProbeCommand
  | { cmd: 'hop'; url: string; rate: number; durationS: number }
  | { cmd: 'throughput'; url: string; messages: number; devices: string[]; connections: number };

const now = () => performance.now();

async function connect(url: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clean: true });
  // TCP_NODELAY on the client side too: Nagle would hold small publishes back ~40 ms.
  (client.stream as Socket).setNoDelay?.(true);
  return client;
}


/** Calls `send(i)` `total` times spread evenly over `durationMs`, on a busy-ish loop (setImmediate). */
function paced(total: number, durationMs: number, send: (i: number) => void): Promise<number> {
  return new Promise((resolve) => {
    const start = now();
    let sent = 0;
    const step = () => {
      const due = Math.min(total, Math.floor(((now() - start) / durationMs) * total));
      while (sent < due) send(sent++);
      if (sent < total) setImmediate(step);
      else resolve(now() - start);
    };
    step();
  });
}

/** riskwatch's publish → order latency (bench/run.ts): the probe, with water meters as the background. */
async function latency(c: Extract<Command, { cmd: 'latency' }>) {
  const { samples: _samples, ...result } = await probe({
    cmd: 'probe', inputUrl: c.url, outputUrl: c.url, outputTopics: ['rw/orders/grid/+', 'rw/orders/community/+', 'rw/orders/street/+'],
    match: { deviceIdPath: ['data', 'deviceId'], type: 'riskwatch.order.created' }, triggerTopicPrefix: 'rw/telemetry',
    rate: c.rate, durationS: c.durationS, fleet: c.background.map((id): [string, DeviceType] => [id, 'water_meter']),
    triggers: c.triggers, triggerRate: c.triggerRate, graceMs: 5_000,
  });
  return result;
}

/**
 * The generic probe every system under test is measured with (riskwatch, Node-RED, a bare broker):
 * a paced flood of ordinary readings from the whole fleet at `rate` msg/s, with a trigger reading
 * (31 %LEL on a gas detector, red by every rule) `triggerRate` times a second among them. Latency
 * is trigger publish → the system's output for that device received on `outputTopics`; the device
 * is found at `match.deviceIdPath` in the output's JSON (or, with `deviceIdPath: []`, as the last
 * topic level: a bare hop echoes the trigger itself). Each trigger device is used once.
 */
export interface ProbeCommand {
  cmd: 'probe';
  inputUrl: string;
  outputUrl: string;
  outputTopics: string[];
  match: { deviceIdPath: string[]; type?: string };
  /** Where triggers are published: `rw/telemetry` for a system, another prefix for a bare hop (only triggers come back). */
  triggerTopicPrefix: string;
  rate: number;
  durationS: number;
  /** [id, type] of every device that sends background readings. */
  fleet: [string, DeviceType][];
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
  /** Publish → output, ms, in arrival order. */
  samples: number[];
  latencyMs: Percentiles;
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) v = (v as Record<string, unknown> | undefined)?.[key];
  return v;
}

async function probe(c: ProbeCommand): Promise<ProbeResult> {
  const pub = await connect(c.inputUrl);
  const sub = await connect(c.outputUrl);
  const sentAt = new Map<string, number>();
  const samples: number[] = [];
  sub.on('message', (topic, payload) => {
    const t = now();
    let id: unknown;
    if (c.match.deviceIdPath.length === 0) id = topic.slice(topic.lastIndexOf('/') + 1);
    else {
      const output = JSON.parse(payload.toString()) as { type?: string };
      if (c.match.type !== undefined && output.type !== c.match.type) return;
      id = valueAt(output, c.match.deviceIdPath);
    }
    const t0 = typeof id === 'string' ? sentAt.get(id) : undefined;
    if (t0 !== undefined) {
      samples.push(t - t0);
      sentAt.delete(id as string);
    }
  });
  await sub.subscribeAsync(c.outputTopics, { qos: c.match.deviceIdPath.length === 0 ? 0 : 1 });
  const total = Math.round(c.rate * c.durationS);
  const triggerEvery = Math.max(1, Math.round(c.rate / c.triggerRate));
  let trigger = 0;
  let bg = 0;
  const elapsed = await paced(total, c.durationS * 1000, (i) => {
    if (i % triggerEvery === 0 && trigger < c.triggers.length) {
      const id = c.triggers[trigger++]!;
      sentAt.set(id, now());
      pub.publish(`${c.triggerTopicPrefix}/${id}`, JSON.stringify({ ts: Date.now(), metrics: { gas_lel_pct: 31 } }), { qos: 0 });
      return;
    }
    const [id, type] = c.fleet[bg++ % c.fleet.length]!;
    pub.publish(`rw/telemetry/${id}`, JSON.stringify({ ts: Date.now(), metrics: quietMetrics(type, bg) }), { qos: 0 });
  });
  // A QoS 1 round trip: every QoS 0 publish before it has left this process and reached the broker.
  await pub.publishAsync('bench/probe/flush', '', { qos: 1 });
  const deadline = now() + c.graceMs;
  while (sentAt.size > 0 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await Promise.all([pub.endAsync(), sub.endAsync()]);
  return { sent: total, achievedRate: total / (elapsed / 1000), triggers: trigger, missing: sentAt.size, samples, latencyMs: percentiles(Float64Array.from(samples)) };
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

process.on('message', async (command: Command) => {
  try {
    const result =
      command.cmd === 'probe' ? await probe(command)
      : command.cmd === 'latency' ? await latency(command)
      : command.cmd === 'hop' ? await hop(command)
      : await throughput(command);
    process.send!({ ok: true, result });
  } catch (err) {
    process.send!({ ok: false, error: (err as Error).stack });
  }
});
