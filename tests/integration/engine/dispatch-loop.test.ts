import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { collect, connectClient, ORDER_FILTERS, startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MINUTE = 60_000;
const shanghai = (iso: string) => Date.parse(`${iso}+08:00`);

type Envelope = { id: string; type: string; data: DispatchOrder };
const envelope = (m: { body: unknown }) => m.body as Envelope;

/**
 * The closed loop through the whole engine — real broker over TCP, real SQLite, the shipped
 * scenarios and dispatch policy — on a manual clock: deadlines pass in virtual time.
 */
describe('dispatch closed loop (engine, virtual time)', () => {
  const dir = useTempDir('rw-loop-');
  let running: TestEngine | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await running?.stop();
    running = undefined;
  });

  /**
   * Moves the virtual clock to `t` and lets the engine settle, again until nothing changes: a
   * deadline step re-arms the order's next check, which may already be due (a warning and its
   * deadline passed in one jump), and order changes are applied a microtask after the timer fired.
   */
  async function advanceTo(clock: ManualScheduler, t: number): Promise<void> {
    const { engine } = running!;
    for (let round = 0; round < 10; round++) {
      const before = engine.health().counters.orderUpdates;
      clock.advanceTo(t);
      await engine.flush();
      if (engine.health().counters.orderUpdates === before) return;
    }
  }

  async function start(clock: ManualScheduler) {
    running = await startTestEngine(dir(), {}, clock);
    const supervisor = await connectClient(running.url);
    const dispatcher = await connectClient(running.url);
    clients.push(supervisor, dispatcher);
    return { engine: running.engine, overdue: await collect(supervisor, 'rw/orders/+/overdue'), orders: await collect(dispatcher, ORDER_FILTERS), dispatcher };
  }

  it('warns before the response deadline, escalates a miss up a tier, and escalates again at the next miss', async () => {
    const clock = new ManualScheduler(shanghai('2026-11-23T10:00:00')); // a Monday
    const { engine, overdue } = await start(clock);
    engine.ingest('rw/telemetry/gd-0002', Buffer.from(telemetry({ gas_lel_pct: 12 }, clock.now())));
    await engine.flush();
    const created = engine.listOrders({}).items[0]!;
    expect(created).toMatchObject({ level: 'orange', status: 'dispatched', overdueCount: 0 });
    const firstTier = created.tier;
    const span = created.responseDueAt - created.createdAt;
    expect(span).toBeGreaterThan(0);

    // 1. The warning, at warnAt of the span, on the overdue topic; the order is not escalated.
    const warnAt = created.createdAt + Math.floor(created.sla.warnAt * span);
    await advanceTo(clock, warnAt - 1);
    expect(engine.getOrder(created.id)!.warned).toEqual({});
    await advanceTo(clock, warnAt);
    const warning = envelope(await overdue.next((m) => envelope(m).type === 'riskwatch.order.deadline_warning'));
    expect(warning.data).toMatchObject({ id: created.id, tier: firstTier, warned: { response: created.responseDueAt } });
    expect(warning.id).toBe(`${created.id}:${warning.data.version}`);

    // 2. The miss: one tier up, priority up, a supervision entry, a fresh deadline.
    await advanceTo(clock, created.responseDueAt);
    const miss1 = envelope(await overdue.next((m) => envelope(m).type === 'riskwatch.order.overdue'));
    expect(miss1.data).toMatchObject({ id: created.id, status: 'escalated', overdueCount: 1, priority: created.priority + 1 });
    expect(miss1.data.supervision).toHaveLength(1);
    expect(miss1.data.supervision[0]).toMatchObject({ deadline: 'response', dueAt: created.responseDueAt, from: firstTier });
    const secondDue = miss1.data.responseDueAt;
    expect(secondDue).toBe(miss1.data.supervision[0]!.nextDueAt);
    expect(secondDue).toBeGreaterThan(created.responseDueAt);

    // 3. Missed again: escalated again.
    await advanceTo(clock, secondDue);
    const miss2 = envelope(await overdue.next((m) => envelope(m).type === 'riskwatch.order.overdue' && envelope(m).data.overdueCount === 2));
    expect(miss2.data.supervision.map((s) => [s.from, s.to])).toEqual([
      [firstTier, miss1.data.supervision[0]!.to],
      [miss1.data.supervision[0]!.to, miss2.data.supervision[1]!.to],
    ]);
    expect(miss2.data.priority).toBe(Math.min(5, created.priority + 2));
    expect(miss2.data.history.filter((h) => h.type === 'overdue')).toHaveLength(2);
    expect(engine.health().counters).toMatchObject({ overdue: 2 });
    expect(engine.health().counters.deadlineWarnings).toBeGreaterThanOrEqual(2);

    // Accepting stops the response clock: nothing more is due for it.
    await engine.updateOrderStatus(created.id, { status: 'accepted', by: 'street-duty' });
    const before = engine.health().counters.overdue;
    await advanceTo(clock, engine.getOrder(created.id)!.responseDueAt + MINUTE);
    expect(engine.health().counters.overdue).toBe(before);
  });

  it('takes status updates over MQTT: duplicates change nothing, illegal ones are counted, a rejection is re-routed', async () => {
    const clock = new ManualScheduler(shanghai('2026-11-23T10:00:00'));
    const { engine, orders, dispatcher } = await start(clock);
    engine.ingest('rw/telemetry/gd-0002', Buffer.from(telemetry({ gas_lel_pct: 12 }, clock.now())));
    await engine.flush();
    const order = engine.listOrders({}).items[0]!;
    const status = `rw/orders/${order.id}/status`;
    const versionArrives = (v: number) => orders.next((m) => envelope(m).data.id === order.id && envelope(m).data.version === v);

    await dispatcher.publishAsync(status, JSON.stringify({ status: 'accepted', by: 'handler-7' }), { qos: 1 });
    await dispatcher.publishAsync(status, JSON.stringify({ status: 'accepted', by: 'handler-7' }), { qos: 1 });
    await dispatcher.publishAsync(status, JSON.stringify({ status: 'in_progress', note: 'on site', by: 'handler-7' }), { qos: 1 });
    const inProgress = envelope(await versionArrives(order.version + 2)).data;
    expect(inProgress).toMatchObject({ status: 'in_progress', acceptedAt: clock.now() });
    expect(inProgress.history.filter((h) => h.type === 'status').map((h) => h.status)).toEqual(['accepted', 'in_progress']);

    const rejectedBefore = engine.health().counters.statusUpdatesRejected;
    await dispatcher.publishAsync(status, JSON.stringify({ status: 'closed' }), { qos: 1 }); // in_progress → closed skips resolution
    await dispatcher.publishAsync(status, 'not json', { qos: 1 });
    await dispatcher.publishAsync(status, JSON.stringify({ status: 'resolved', note: 'valve closed', by: 'handler-7' }), { qos: 1 });
    const resolved = envelope(await versionArrives(order.version + 3)).data;
    expect(resolved).toMatchObject({ status: 'resolved', resolvedAt: clock.now() });
    expect(engine.health().counters.statusUpdatesRejected).toBe(rejectedBefore + 2);
  });

  it('re-routes a rejected order by policy and announces both versions in order', async () => {
    const clock = new ManualScheduler(shanghai('2026-11-23T10:00:00'));
    const { engine, orders, dispatcher } = await start(clock);
    engine.ingest('rw/telemetry/gd-0002', Buffer.from(telemetry({ gas_lel_pct: 12 }, clock.now())));
    await engine.flush();
    const order = engine.listOrders({}).items[0]!;
    await dispatcher.publishAsync(`rw/orders/${order.id}/status`, JSON.stringify({ status: 'rejected', note: 'not ours', by: order.assignee.placeId }), { qos: 1 });
    const rerouted = envelope(await orders.next((m) => envelope(m).data.id === order.id && envelope(m).type === 'riskwatch.order.rerouted')).data;
    const versions = orders.messages.filter((m) => envelope(m).data.id === order.id).map((m) => [envelope(m).data.version, envelope(m).data.status]);
    expect(versions).toEqual([[1, 'dispatched'], [2, 'rejected'], [3, rerouted.status]]);
    expect(rerouted.rejectedBy).toContain(order.department?.id ?? order.assignee.placeId);
    expect(rerouted.assignee.placeId === order.assignee.placeId && !order.department).toBe(false);
    expect(rerouted.history.at(-1)).toMatchObject({ type: 'rerouted' });
  });
});
