import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';

/**
 * The load generator, run as a separate process so publishing competes with the engine for CPU
 * the way real devices' traffic does not (they are elsewhere) — the honest pessimistic case on a
 * 2-core machine. It measures latency itself: publish time and receive time on one clock.
 *
 * Commands arrive over IPC; results go back the same way.
 */
type Command =
  | { cmd: 'latency'; url: string; rate: number; durationS: number; background: string[]; triggers: string[]; triggerRate: number }
  | { cmd: 'hop'; url: string; rate: number; durationS: number }
  | { cmd: 'throughput'; url: string; messages: number; devices: string[]; connections: number };

const now = () => performance.now();

async function connect(url: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clean: true });
  // TCP_NODELAY on the client side too: Nagle would hold small publishes back ~40 ms.
  (client.stream as Socket).setNoDelay?.(true);
  return client;
}

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: sorted.at(-1) ?? NaN, mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1) };
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

async function latency(c: Extract<Command, { cmd: 'latency' }>) {
  const pub = await connect(c.url);
  const sub = await connect(c.url);
  const sentAt = new Map<string, number>();
  const samples: number[] = [];
  sub.on('message', (_topic, payload) => {
    const t = now();
    const event = JSON.parse(payload.toString()) as { type: string; data: { deviceId: string } };
    if (event.type !== 'riskwatch.order.created') return;
    const t0 = sentAt.get(event.data.deviceId);
    if (t0 !== undefined) {
      samples.push(t - t0);
      sentAt.delete(event.data.deviceId);
    }
  });
  await sub.subscribeAsync(['rw/orders/grid/+', 'rw/orders/community/+', 'rw/orders/street/+'], { qos: 1 });
  const total = c.rate * c.durationS;
  const triggerEvery = Math.max(1, Math.round(c.rate / c.triggerRate));
  let trigger = 0;
  let bg = 0;
  const elapsed = await paced(total, c.durationS * 1000, (i) => {
    if (i % triggerEvery === 0 && trigger < c.triggers.length) {
      const id = c.triggers[trigger++]!;
      sentAt.set(id, now());
      pub.publish(`rw/telemetry/${id}`, JSON.stringify({ ts: Date.now(), metrics: { gas_lel_pct: 31 } }), { qos: 0 });
      return;
    }
    const id = c.background[bg++ % c.background.length]!;
    pub.publish(`rw/telemetry/${id}`, JSON.stringify({ ts: Date.now(), metrics: { flow_lpm: bg % 3 === 0 ? 2.5 : 0, total_m3: 10 + bg / 1e5 } }), { qos: 0 });
  });
  // Give the last orders time to arrive, then report what never did.
  const deadline = now() + 5000;
  while (sentAt.size > 0 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await Promise.all([pub.endAsync(), sub.endAsync()]);
  return { sent: total, achievedRate: total / (elapsed / 1000), triggers: trigger, missing: sentAt.size, latencyMs: percentiles(samples) };
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
  return { sent: total, received: samples.length, latencyMs: percentiles(samples) };
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
    const result = command.cmd === 'latency' ? await latency(command) : command.cmd === 'hop' ? await hop(command) : await throughput(command);
    process.send!({ ok: true, result });
  } catch (err) {
    process.send!({ ok: false, error: (err as Error).stack });
  }
});
