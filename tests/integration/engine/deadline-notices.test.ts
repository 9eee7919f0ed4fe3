import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { buildApp } from '../../../src/api/app.js';
import type { DeadlineKind, DispatchOrder } from '../../../src/contracts/order.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { loadDispatchPolicyFile } from '../../../src/policy/policy-file.js';
import { collect, connectClient, ORDER_FILTERS, startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const shanghai = (iso: string) => Date.parse(`${iso}+08:00`);

type Envelope = { id: string; type: string; data: DispatchOrder };
const envelope = (m: { body: unknown }) => m.body as Envelope;

/**
 * Issue 10, "stop the flood of deadline notices", through the whole engine — real broker over TCP,
 * real SQLite, the shipped scenarios and dispatch policy — on a manual clock: a red gas order
 * nobody touches for 24 virtual hours, read back the way a dispatch system sees it (MQTT) and the
 * way an operator does (HTTP).
 *
 * The bound, from the shipped policy (rules/dispatch/policy.yaml; red gas: `red-gas-leak-to-street`
 * sets respondWithin 15m and warnAt 0.5; red defaults: resolveWithin 24h, remindEvery 1h) and the
 * ladder (the order starts at the street, so its first missed response already reaches leadership,
 * the top):
 *
 *   1  created
 *   1  response warning        (at 7.5 min, half the 15-minute span)
 *   1  response missed         (at 15 min: street → leadership; from now on a reminder cadence)
 *  23  response reminders      (every remindEvery = 1 h after that: 1 h 15, 2 h 15, … 23 h 15)
 *   1  resolution warning      (at 12 h, half the 24-hour span)
 *   1  resolution missed       (at 24 h)
 *  ---
 *  28  events, at most — where the code before issue 10 published 199 (a warning and a miss every
 *      15 minutes, the resolution deadline warned six times over as an 8-entry list forgot it, and
 *      from 24 h on a resolution warning at the instant of each miss that pushed it).
 *
 * In general, for one unattended order over a window W: 1 + Σ over its two deadlines of
 * (2 × steps to the top — a warning and a miss each — + ⌊(W − time to reach the top) / max(span, remindEvery)⌋).
 */
const RED_GAS_BOUND_24H = 28;

describe('deadline notices of an unattended order (engine, virtual time)', () => {
  const dir = useTempDir('rw-notices-');
  let running: TestEngine | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await running?.stop();
    running = undefined;
  });

  /**
   * Runs the engine clock to `end`, stopping at every timer on the way and letting the engine
   * settle there, as it would live: a deadline step is applied a microtask after its timer fired
   * and re-arms the order's next check.
   */
  async function runUntil(clock: ManualScheduler, end: number): Promise<void> {
    const { engine } = running!;
    while (clock.nextDueAt <= end) {
      clock.advanceTo(clock.nextDueAt);
      await engine.settle();
    }
    clock.advanceTo(end);
    await engine.flush();
  }

  it('publishes a bounded number of events over 24 h: one warning per deadline, none at or after its miss, hourly reminders at the top', async () => {
    const start = shanghai('2026-11-23T10:00:00'); // a Monday
    const clock = new ManualScheduler(start);
    running = await startTestEngine(dir(), {}, clock);
    const { engine } = running;
    const dispatcher = await connectClient(running.url);
    clients.push(dispatcher);
    const orders = await collect(dispatcher, ORDER_FILTERS);

    engine.ingest('rw/telemetry/gd-0002', Buffer.from(telemetry({ gas_lel_pct: 30 }, start)));
    await engine.flush();
    const created = engine.listOrders({ scenario: 'gas-concentration' }).items[0]!;
    expect(created).toMatchObject({ level: 'red', tier: 'street', sla: { warnAt: 0.5 } });
    expect(created.responseDueAt - start).toBe(15 * MINUTE);

    await runUntil(clock, start + DAY);

    // Every version of the order reaches the dispatch system, in order: the events of the day.
    const final = engine.getOrder(created.id)!;
    await orders.next((m) => envelope(m).data.id === created.id && envelope(m).data.version === final.version);
    const events = orders.messages.map(envelope).filter((e) => e.data.id === created.id);
    expect(events.map((e) => e.data.version)).toEqual(Array.from({ length: final.version }, (_, i) => i + 1));
    expect(events.length).toBeLessThanOrEqual(RED_GAS_BOUND_24H);
    // Each as the published contract describes it (priority 5 at the top, warned per kind).
    const orderSchema = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync('schemas/order.schema.json', 'utf8')) as object);
    for (const e of events) expect(orderSchema(e.data), `${e.type} v${e.data.version}: ${JSON.stringify(orderSchema.errors)}`).toBe(true);

    // The same story over HTTP: the order's history as the API serves it.
    const app = buildApp(engine);
    const response = await app.inject({ method: 'GET', url: `/api/orders/${created.id}` });
    await app.close();
    expect(response.statusCode).toBe(200);
    const history = (response.json() as DispatchOrder).history;
    expect(history).toHaveLength(events.length);

    // One warning per deadline, strictly before it falls due.
    const warnings = events.filter((e) => e.type === 'riskwatch.order.deadline_warning').map((e) => {
      const step = e.data.history.at(-1)!;
      const kind = step.deadline as DeadlineKind;
      return { kind, at: step.at, dueAt: kind === 'response' ? e.data.responseDueAt : e.data.resolutionDueAt };
    });
    const warnedDeadlines = warnings.map((w) => `${w.kind}@${w.dueAt}`);
    expect(new Set(warnedDeadlines).size, `warned twice: ${warnedDeadlines.join(', ')}`).toBe(warnedDeadlines.length);
    for (const w of warnings) expect(w.at, `${w.kind} warning at ${w.at} for ${w.dueAt}`).toBeLessThan(w.dueAt);
    expect(warnings.map((w) => [w.kind, w.at - start])).toEqual([['response', 7.5 * MINUTE], ['resolution', 12 * HOUR]]);

    // The schedule behind the bound, from the shipped policy.
    const policy = loadDispatchPolicyFile('rules/dispatch/policy.yaml');
    expect(policy.defaults.red).toMatchObject({ respondWithin: { ms: 15 * MINUTE }, resolveWithin: { ms: DAY }, remindEvery: HOUR });
    expect(created.sla.remindEvery).toBe(HOUR);
    // The misses: the first one reaches the top of the ladder, then leadership is reminded hourly.
    const misses = events.filter((e) => e.type === 'riskwatch.order.overdue').map((e) => e.data.history.at(-1)!);
    const responseMisses = misses.filter((h) => h.deadline === 'response').map((h) => h.at - start);
    expect(responseMisses).toEqual([15 * MINUTE, ...Array.from({ length: 23 }, (_, i) => 15 * MINUTE + (i + 1) * HOUR)]);
    expect(misses.filter((h) => h.deadline === 'resolution').map((h) => h.at - start)).toEqual([DAY]);
    expect(final.supervision.filter((s) => s.deadline === 'response').every((s) => s.to === 'leadership')).toBe(true);
    expect(events).toHaveLength(RED_GAS_BOUND_24H);
  });
});
