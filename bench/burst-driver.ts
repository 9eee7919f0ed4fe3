import type { MqttClient } from 'mqtt';
import { connect } from './load-publisher.js';

/**
 * The burst benchmark's devices and dispatch system (bench/burst.ts), in a process of its own so
 * publishing and receiving do not run on the engine's event loop. Commands arrive over IPC, one at
 * a time; results go back the same way.
 *
 * - `raise`: each listed gas detector reads 31 %LEL (red by every shipped rule); resolves when an
 *   order has been created for each — the alerts the burst will clear.
 * - `probe`: `clears` (may be empty) read 0 %LEL, spread evenly over `spreadMs`; `probeAtMs` into
 *   that spread an unrelated detector reads 31 %LEL. Returns publish → `riskwatch.order.created`
 *   for the probe, and how long until every cleared alert's order update (`alert_cleared` or
 *   `cancelled`, whichever the policy makes of it) had arrived.
 */
export type DriverCommand =
  | { cmd: 'connect'; url: string }
  | { cmd: 'raise'; ids: string[]; ratePerSecond: number }
  | { cmd: 'probe'; clears: string[]; spreadMs: number; probeId: string; probeAtMs: number }
  | { cmd: 'end' };

export interface ProbeOutcome {
  /** Publish → order created received, ms; null when it never came (within 10 s). */
  latencyMs: number | null;
  /** Publish of the first clear → the last cancellation received, ms (null: not all came). */
  burstDrainMs: number | null;
}

const now = () => performance.now();
const ORDER_TOPICS = ['rw/orders/grid/+', 'rw/orders/community/+', 'rw/orders/street/+'];
const alarm = JSON.stringify({ metrics: { gas_lel_pct: 31 } });
const quiet = JSON.stringify({ metrics: { gas_lel_pct: 0 } });

let pub: MqttClient | undefined;
let sub: MqttClient | undefined;
/** Order outputs awaited, by device id and CloudEvent type. */
const waiting = new Map<string, () => void>();

/** The value of `"deviceId":"…"` in an order event, found without parsing the whole event. */
function deviceIdOf(text: string): string | undefined {
  const at = text.indexOf('"deviceId":"');
  if (at < 0) return undefined;
  const start = at + 12;
  return text.slice(start, text.indexOf('"', start));
}

function onOutput(_topic: string, payload: Buffer): void {
  // Only created and the clear's update matter; the rest (escalations, deadlines) is ignored. No
  // JSON.parse: this process must keep up with a thousand updates in a burst, or it would measure
  // itself (an order event's type and device id are found by their keys).
  const text = payload.toString();
  const kind = text.includes('"type":"riskwatch.order.created"') ? 'created'
    : text.includes('"type":"riskwatch.order.alert_cleared"') || text.includes('"type":"riskwatch.order.cancelled"') ? 'cancelled' : undefined;
  if (!kind) return;
  const id = deviceIdOf(text);
  if (id === undefined) return;
  const key = `${kind}:${id}`;
  const done = waiting.get(key);
  if (done) {
    waiting.delete(key);
    done();
  }
}

function expect(kind: 'created' | 'cancelled', id: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(`${kind}:${id}`);
      resolve(null);
    }, timeoutMs);
    waiting.set(`${kind}:${id}`, () => {
      clearTimeout(timer);
      resolve(now());
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function raise(ids: readonly string[], ratePerSecond: number): Promise<number> {
  const arrivals: Promise<number | null>[] = [];
  const perTick = Math.max(1, Math.round(ratePerSecond / 100));
  for (let i = 0; i < ids.length; i += perTick) {
    for (const id of ids.slice(i, i + perTick)) {
      arrivals.push(expect('created', id, 30_000));
      pub!.publish(`rw/telemetry/${id}`, alarm, { qos: 0 });
    }
    await sleep(10);
  }
  const got = await Promise.all(arrivals);
  return got.filter((t) => t === null).length;
}

async function probe(c: Extract<DriverCommand, { cmd: 'probe' }>): Promise<ProbeOutcome> {
  const start = now();
  const cancellations = c.clears.map((id) => expect('cancelled', id, 10_000));
  let probeSentAt = 0;
  let created: Promise<number | null> | undefined;
  const sendProbe = () => {
    created = expect('created', c.probeId, 10_000);
    probeSentAt = now();
    pub!.publish(`rw/telemetry/${c.probeId}`, alarm, { qos: 0 });
  };
  // Clears go out on 1 ms timers, each tick sending what is due, so the burst lasts `spreadMs`.
  let sent = 0;
  while (sent < c.clears.length || !created) {
    const elapsed = now() - start;
    const due = c.spreadMs <= 0 ? c.clears.length : Math.min(c.clears.length, Math.floor((elapsed / c.spreadMs) * c.clears.length));
    while (sent < due) pub!.publish(`rw/telemetry/${c.clears[sent++]}`, quiet, { qos: 0 });
    if (!created && elapsed >= c.probeAtMs) sendProbe();
    if (sent < c.clears.length || !created) await sleep(1);
  }
  const [arrived, ...drained] = await Promise.all([created!, ...cancellations]);
  const lastDrain = drained.some((t) => t === null) ? null : Math.max(start, ...(drained as number[]));
  return { latencyMs: arrived === null ? null : arrived - probeSentAt, burstDrainMs: c.clears.length === 0 ? 0 : lastDrain === null ? null : lastDrain - start };
}

process.on('message', async (command: DriverCommand) => {
  try {
    let result: unknown;
    if (command.cmd === 'connect') {
      pub = await connect(command.url);
      sub = await connect(command.url);
      sub.on('message', onOutput);
      await sub.subscribeAsync(ORDER_TOPICS, { qos: 1 });
      result = true;
    } else if (command.cmd === 'raise') result = await raise(command.ids, command.ratePerSecond);
    else if (command.cmd === 'probe') result = await probe(command);
    else {
      await Promise.all([pub?.endAsync(), sub?.endAsync()]);
      result = true;
    }
    process.send!({ ok: true, result });
  } catch (err) {
    process.send!({ ok: false, error: (err as Error).stack });
  }
});
