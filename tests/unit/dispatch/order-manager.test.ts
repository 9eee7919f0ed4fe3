import { describe, expect, it } from 'vitest';
import type { Alert, AlertEvent } from '../../../src/contracts/alert.js';
import type { Level } from '../../../src/contracts/level.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import type { DeviceContext } from '../../../src/contracts/registry.js';
import type { DispatchDecision } from '../../../src/contracts/dispatch.js';
import { defaultDecision } from '../../../src/policy/default-decision.js';
import { assigneeFor } from '../../../src/dispatch/assignee.js';
import { DEFAULT_DISPATCH_POLICY } from '../../../src/policy/default-policy.js';
import { dueAt, nextCheckAt } from '../../../src/dispatch/order-deadlines.js';
import { OrderManager } from '../../../src/dispatch/order-manager.js';
import { makeAlert } from '../../helpers/store-fixtures.js';
import { makeContext } from '../../helpers/device-context.js';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(`${iso}+08:00`);
const ctx: DeviceContext = makeContext({
  deviceId: 'wm-101', type: 'water_meter',
  subject: { id: 'hh-101', livingAlone: true, age: 81, personal: { name: 'Resident', phone: '13800000001', idNumber: 'ID-1', address: 'Room 1' } },
});

function setup() {
  const stored = new Map<string, DispatchOrder>();
  let ids = 0;
  const manager = new OrderManager({
    context: (id) => (id === 'wm-101' ? ctx : undefined),
    findByAlert: (alertId) => stored.get(alertId),
    scenarioDispatches: (id) => id !== 'silent-scenario',
    department: (id) => (id === 'gas-company' ? { id, name: 'Gas company', phone: '95777' } : undefined),
    newId: () => `o${++ids}`,
  });
  const apply = (type: AlertEvent['type'], level: Level, when: number, overrides: Partial<Alert> = {}, decision?: Partial<DispatchDecision>) => {
    const alert = makeAlert({ id: 'a1', deviceId: 'wm-101', level, ...overrides });
    const full = { ...defaultDecision(DEFAULT_DISPATCH_POLICY, level), ...decision };
    const update = manager.onAlertEvent({ type, alert, to: level, at: when }, full);
    if (update) stored.set(update.order.alertId, update.order);
    return update;
  };
  return { manager, apply, stored };
}

describe('order manager', () => {
  it('routes by level with deadlines from the policy (3 working days across a weekend)', () => {
    const { apply } = setup();
    const friday = at('2026-11-20T16:00:00');
    const order = apply('opened', 'yellow', friday)!.order;
    expect(order).toMatchObject({ id: 'o1', tier: 'grid', priority: 2, status: 'dispatched', version: 1, notify: [] });
    expect(order.assignee).toMatchObject({ tier: 'grid', placeId: 'grid-1' });
    expect(order.responseDueAt).toBe(friday + 24 * HOUR);
    expect(order.resolutionDueAt).toBe(at('2026-11-25T16:00:00')); // Mon, Tue, Wed
    expect(order.subject).toMatchObject({ id: 'hh-101', livingAlone: true, age: 81, contact: { name: 'Resident', phone: '13800000001', address: 'Room 1' } });
    expect(order.subject?.contact).not.toHaveProperty('idNumber');
  });

  it('gives an order raised on the last working day before National Day its deadline after the holiday', () => {
    const { apply, manager } = setup();
    const raised = at('2026-09-30T17:00:00');
    let order = apply('opened', 'yellow', raised)!.order;
    // 3 working days: 1–7 Oct are off; Thu 8, Fri 9 and Saturday 10 Oct (调休, a working day).
    expect(order.resolutionDueAt).toBe(at('2026-10-10T17:00:00'));
    // A missed resolution deadline re-arms with the same 3 working days from the miss.
    order = manager.applyStatus(order, 'accepted', raised + HOUR)!.order;
    order = manager.deadlineDue(order, dueAt(order, at('2026-10-10T17:00:00'))!, at('2026-10-10T17:00:00')).order;
    expect(order.resolutionDueAt).toBe(at('2026-10-14T17:00:00')); // Mon 12, Tue 13, Wed 14
  });

  it('escalates the same order: level, priority and tier up, deadlines only tighter, leadership added', () => {
    const { apply } = setup();
    const t0 = at('2026-11-23T09:00:00');
    apply('opened', 'yellow', t0);
    const orange = apply('escalated', 'orange', t0 + HOUR)!.order;
    expect(orange).toMatchObject({ id: 'o1', version: 2, tier: 'community', priority: 3, level: 'orange' });
    expect(orange.responseDueAt).toBe(t0 + 3 * HOUR); // 2 h after the escalation, sooner than 24 h after opening
    const red = apply('escalated', 'red', t0 + 2 * HOUR)!.order;
    expect(red).toMatchObject({ id: 'o1', version: 3, tier: 'street', priority: 4, notify: ['leadership'] });
    expect(red.responseDueAt).toBe(t0 + 2 * HOUR + 15 * 60_000);
    const lowered = apply('deescalated', 'yellow', t0 + 3 * HOUR)!;
    expect(lowered.change).toBe('alert_level');
    expect(lowered.order).toMatchObject({ tier: 'street', priority: 4, level: 'red', version: 4 }); // never handed back down
    expect(lowered.order.status).toBe('escalated'); // moved up a tier, nobody accepted yet
    const cleared = apply('cleared', 'yellow', t0 + 4 * HOUR)!;
    expect(cleared.change).toBe('cancelled'); // withdrawn before anyone accepted
    expect(cleared.order.status).toBe('cancelled');
    expect(cleared.order.history.map((h) => h.type)).toEqual(['created', 'escalated', 'escalated', 'alert_level', 'cancelled']);
  });

  it('records a clear on an order someone already accepted, and leaves it to the handler', () => {
    const { apply, manager, stored } = setup();
    apply('opened', 'yellow', 0);
    stored.set('a1', manager.applyStatus(stored.get('a1')!, 'accepted', HOUR, undefined, 'grid-1')!.order);
    const cleared = apply('cleared', 'yellow', 2 * HOUR)!;
    expect(cleared.change).toBe('alert_cleared');
    expect(cleared.order).toMatchObject({ status: 'accepted', acceptedAt: HOUR });
  });

  it('takes tier, department, SLA and rule names from the policy decision', () => {
    const { apply } = setup();
    const t0 = at('2026-11-23T09:00:00');
    const order = apply('opened', 'orange', t0, { category: 'gas' }, {
      tier: 'street', department: 'gas-company', respondWithin: { ms: 10 * 60_000 }, warnAt: 0.5, rules: ['gas-to-gas-company'],
    })!.order;
    expect(order).toMatchObject({ tier: 'street', department: { id: 'gas-company', name: 'Gas company', phone: '95777' }, policyRules: ['gas-to-gas-company'] });
    expect(order.responseDueAt).toBe(t0 + 10 * 60_000);
    expect(order.sla).toEqual({ respondWithin: { ms: 600_000 }, resolveWithin: { ms: 24 * HOUR }, warnAt: 0.5, remindEvery: HOUR });
    expect(nextCheckAt(order)).toBe(t0 + 5 * 60_000); // the warning, half-way to the response deadline
  });

  it('opens a fresh order when the alert escalates after its order was finished', () => {
    const { apply, manager, stored } = setup();
    apply('opened', 'orange', 0);
    const resolved = manager.applyStatus(stored.get('a1')!, 'resolved', HOUR)!.order;
    expect(resolved).toMatchObject({ acceptedAt: HOUR, resolvedAt: HOUR });
    stored.set('a1', resolved);
    const again = apply('escalated', 'red', 2 * HOUR)!;
    expect(again.change).toBe('created');
    expect(again.order.id).toBe('o2');
  });

  it('applies status reports idempotently and refuses illegal ones with a code', () => {
    const { apply, manager } = setup();
    const order = apply('opened', 'red', 0)!.order;
    const accepted = manager.applyStatus(order, 'accepted', 1_000, 'on my way', 'grid-7')!.order;
    expect(accepted).toMatchObject({ status: 'accepted', version: 2 });
    expect(accepted.history.at(-1)).toMatchObject({ type: 'status', status: 'accepted', note: 'on my way', by: 'grid-7' });
    expect(manager.applyStatus(accepted, 'accepted', 2_000)).toBeUndefined();
    expect(() => manager.applyStatus(accepted, 'rejected', 3_000)).toThrow(expect.objectContaining({ code: 'ERR_ORDER_TRANSITION', statusCode: 409 }));
    expect(() => manager.applyStatus(accepted, 'cancelled', 3_000)).toThrow(expect.objectContaining({ code: 'ERR_ORDER_TRANSITION' }));
    expect(() => manager.applyStatus(accepted, 'escalated', 3_000)).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
    expect(accepted.acceptedAt).toBe(1_000);
  });

  it('re-routes a rejected order to the tier above the party that rejected it, once per rejection report', () => {
    const { apply, manager } = setup();
    const t0 = at('2026-11-23T09:00:00');
    const order = apply('opened', 'yellow', t0)!.order;
    const rejected = manager.applyStatus(order, 'rejected', t0 + HOUR, 'not our grid', 'grid-1')!.order;
    expect(rejected).toMatchObject({ status: 'rejected', rejectedBy: ['grid-1'] });
    // The policy still says "grid", but the grid refused: the community takes it, with a fresh response window.
    const rerouted = manager.reroute(rejected, defaultDecision(DEFAULT_DISPATCH_POLICY, 'yellow'), t0 + HOUR);
    expect(rerouted.change).toBe('rerouted');
    expect(rerouted.order).toMatchObject({ status: 'escalated', tier: 'community', assignee: { placeId: 'community-1' } });
    expect(rerouted.order.responseDueAt).toBe(t0 + HOUR + 24 * HOUR);
    // The same rejection delivered again (MQTT at-least-once) changes nothing.
    expect(manager.applyStatus(rerouted.order, 'rejected', t0 + 2 * HOUR, 'not our grid', 'grid-1')).toBeUndefined();
    // A rejection by the new assignee is a new report.
    const again = manager.applyStatus(rerouted.order, 'rejected', t0 + 2 * HOUR, 'not ours either', 'community-1')!.order;
    expect(again.rejectedBy).toEqual(['grid-1', 'community-1']);
    const street = manager.reroute(again, defaultDecision(DEFAULT_DISPATCH_POLICY, 'yellow'), t0 + 2 * HOUR).order;
    expect(street).toMatchObject({ tier: 'street', status: 'escalated' });
  });

  it('escalates a missed response deadline up the ladder, then supervises at leadership', () => {
    const { apply, manager } = setup();
    const t0 = at('2026-11-23T09:00:00');
    let order = apply('opened', 'orange', t0)!.order; // community, respond within 2 h, warn at 80 %
    expect(dueAt(order, t0 + 95 * 60_000)).toBeUndefined();
    const warning = dueAt(order, t0 + 96 * 60_000)!;
    expect(warning).toEqual({ kind: 'response', dueAt: t0 + 2 * HOUR, type: 'warning' });
    order = manager.deadlineDue(order, warning, t0 + 96 * 60_000).order;
    expect(order.warned).toEqual({ response: t0 + 2 * HOUR });
    expect(nextCheckAt(order)).toBe(t0 + 2 * HOUR); // warned once: next is the deadline itself

    const miss = dueAt(order, t0 + 2 * HOUR)!;
    expect(miss.type).toBe('overdue');
    const first = manager.deadlineDue(order, miss, t0 + 2 * HOUR);
    expect(first.change).toBe('overdue');
    order = first.order;
    expect(order).toMatchObject({ tier: 'street', status: 'escalated', priority: 4, overdueCount: 1 });
    expect(order.supervision).toEqual([{ at: t0 + 2 * HOUR, deadline: 'response', dueAt: t0 + 2 * HOUR, from: 'community', to: 'street', priority: 4, nextDueAt: t0 + 4 * HOUR }]);
    expect(order.responseDueAt).toBe(t0 + 4 * HOUR);

    order = manager.deadlineDue(order, dueAt(order, t0 + 4 * HOUR)!, t0 + 4 * HOUR).order;
    expect(order.supervision.at(-1)).toMatchObject({ from: 'street', to: 'leadership', priority: 5 });
    expect(order.notify).toContain('leadership');
    expect(order.tier).toBe('street');
    order = manager.deadlineDue(order, dueAt(order, t0 + 6 * HOUR)!, t0 + 6 * HOUR).order;
    expect(order.supervision.at(-1)).toMatchObject({ from: 'leadership', to: 'leadership', priority: 5 });
    expect(order.overdueCount).toBe(3);
    // Accepting stops the response clock; the resolution deadline keeps running.
    const accepted = manager.applyStatus(order, 'accepted', t0 + 6 * HOUR + 60_000, undefined, 'street-1')!.order;
    expect(dueAt(accepted, t0 + 7 * HOUR)).toBeUndefined();
    expect(nextCheckAt(accepted)).toBe(t0 + Math.floor(0.8 * 24 * HOUR));
  });

  it('supervises a missed resolution deadline without taking the order from its handler', () => {
    const { apply, manager } = setup();
    const t0 = at('2026-11-23T09:00:00');
    let order = apply('opened', 'orange', t0, {}, { warnAt: 0 })!.order;
    order = manager.applyStatus(order, 'in_progress', t0 + HOUR, 'on site', 'community-1')!.order;
    const miss = dueAt(order, t0 + 24 * HOUR)!;
    expect(miss).toEqual({ kind: 'resolution', dueAt: t0 + 24 * HOUR, type: 'overdue' });
    order = manager.deadlineDue(order, miss, t0 + 24 * HOUR).order;
    expect(order).toMatchObject({ status: 'in_progress', tier: 'community', priority: 4, notify: ['street'] });
    expect(order.supervision.at(-1)).toMatchObject({ deadline: 'resolution', from: 'community', to: 'street', nextDueAt: t0 + 48 * HOUR });
    order = manager.deadlineDue(order, dueAt(order, t0 + 48 * HOUR)!, t0 + 48 * HOUR).order;
    expect(order.supervision.at(-1)).toMatchObject({ from: 'street', to: 'leadership' });
    const resolved = manager.applyStatus(order, 'resolved', t0 + 50 * HOUR)!.order;
    expect(nextCheckAt(resolved)).toBeUndefined();
  });

  it('warns each deadline once and never forgets a warning, however many other deadlines are warned', () => {
    const { apply, manager } = setup();
    const t0 = at('2026-11-23T09:00:00');
    let order = apply('opened', 'orange', t0)!.order; // community: respond within 2 h, resolve within 24 h
    order = manager.deadlineDue(order, { kind: 'resolution', dueAt: order.resolutionDueAt, type: 'warning' }, t0 + HOUR).order;
    // Twenty rejections, each re-routed with a fresh response deadline that is warned in turn: the
    // old list of the last 8 warned deadlines forgot the resolution warning after the eighth.
    for (let i = 0; i < 20; i++) {
      const now = t0 + HOUR + (i + 1) * 60_000;
      order = manager.applyStatus(order, 'rejected', now, `round ${i}`, `party-${i}`)!.order;
      order = manager.reroute(order, defaultDecision(DEFAULT_DISPATCH_POLICY, 'orange'), now).order;
      order = manager.deadlineDue(order, { kind: 'response', dueAt: order.responseDueAt, type: 'warning' }, now).order;
    }
    expect(order.warned).toEqual({ response: order.responseDueAt, resolution: t0 + 24 * HOUR });
    expect(order.history.filter((h) => h.type === 'deadline_warning' && h.deadline === 'resolution')).toHaveLength(1);
    expect(dueAt(order, t0 + 23 * HOUR)?.kind).not.toBe('resolution'); // the response deadline, long missed, or nothing
    const accepted = manager.applyStatus(order, 'accepted', t0 + 3 * HOUR)!.order;
    expect(dueAt(accepted, t0 + 23 * HOUR)).toBeUndefined(); // past its warning point, and warned already
    expect(nextCheckAt(accepted)).toBe(t0 + 24 * HOUR);
  });

  it('reminds leadership at the top of the ladder every remindEvery, with no warning before, leaving the resolution deadline alone', () => {
    const { apply, manager } = setup();
    const t0 = at('2026-11-23T09:00:00');
    let order = apply('opened', 'red', t0)!.order; // street: respond within 15 min, resolve within 24 h, remind every 1 h
    expect(order.sla.remindEvery).toBe(HOUR);
    order = manager.deadlineDue(order, dueAt(order, t0 + 15 * 60_000)!, t0 + 15 * 60_000).order;
    expect(order.supervision.at(-1)).toMatchObject({ from: 'street', to: 'leadership', priority: 5, nextDueAt: t0 + 75 * 60_000 });
    expect(order).toMatchObject({ responseDueAt: t0 + 75 * 60_000, resolutionDueAt: t0 + 24 * HOUR, priority: 5 });
    // Nothing is due until the reminder: no warning before it.
    expect(nextCheckAt(order)).toBe(t0 + 75 * 60_000);
    expect(dueAt(order, t0 + 74 * 60_000)).toBeUndefined();
    const reminder = manager.deadlineDue(order, dueAt(order, t0 + 75 * 60_000)!, t0 + 75 * 60_000);
    expect(reminder.change).toBe('overdue');
    expect(reminder.order.supervision.at(-1)).toMatchObject({ from: 'leadership', to: 'leadership', nextDueAt: t0 + 135 * 60_000 });
    expect(reminder.order.history.at(-1)).toMatchObject({ type: 'overdue', deadline: 'response', note: 'response deadline still missed; leadership reminded' });
    expect(reminder.order.resolutionDueAt).toBe(t0 + 24 * HOUR);
  });

  it('reminds no more often than the deadline span: a working-day resolution at the top waits its working days', () => {
    const { apply, manager } = setup();
    const monday = at('2026-11-23T09:00:00');
    let order = apply('opened', 'yellow', monday, {}, { tier: 'street', warnAt: 0, remindEvery: HOUR })!.order; // 3 working days
    order = manager.applyStatus(order, 'in_progress', monday + HOUR)!.order;
    const thursday = at('2026-11-26T09:00:00');
    order = manager.deadlineDue(order, dueAt(order, thursday)!, thursday).order; // street → leadership
    expect(order.supervision.at(-1)).toMatchObject({ deadline: 'resolution', from: 'street', to: 'leadership' });
    expect(order.resolutionDueAt).toBe(at('2026-12-01T09:00:00')); // Fri, Mon, Tue: not an hour later
  });

  it('does not move a resolution deadline already due when the response deadline is missed at the same instant', () => {
    const { apply, manager } = setup();
    const t0 = at('2026-11-23T09:00:00');
    let order = apply('opened', 'orange', t0, {}, { respondWithin: { ms: 2 * HOUR }, resolveWithin: { ms: 2 * HOUR }, warnAt: 0 })!.order;
    order = manager.deadlineDue(order, dueAt(order, t0 + 2 * HOUR)!, t0 + 2 * HOUR).order; // response: community → street
    expect(order.responseDueAt).toBe(t0 + 4 * HOUR);
    expect(order.resolutionDueAt).toBe(t0 + 2 * HOUR); // not pushed to the new response deadline
    expect(dueAt(order, t0 + 2 * HOUR)).toEqual({ kind: 'resolution', dueAt: t0 + 2 * HOUR, type: 'overdue' });
  });

  it('gives a new responder below the top a resolution deadline no earlier than its response deadline', () => {
    const { apply, manager } = setup();
    const t0 = at('2026-11-23T09:00:00');
    let order = apply('opened', 'orange', t0, {}, { respondWithin: { ms: 2 * HOUR }, resolveWithin: { ms: 3 * HOUR }, warnAt: 0 })!.order;
    order = manager.deadlineDue(order, dueAt(order, t0 + 2 * HOUR)!, t0 + 2 * HOUR).order; // community → street, respond by 4 h
    expect(order.resolutionDueAt).toBe(t0 + 4 * HOUR);
  });

  it('makes no order for scenarios that do not dispatch, or devices that left the registry', () => {
    const { apply } = setup();
    expect(apply('opened', 'red', 0, { scenarioId: 'silent-scenario' })).toBeUndefined();
    expect(apply('opened', 'red', 0, { deviceId: 'gone' })).toBeUndefined();
  });

  it('hands a device without a grid to the nearest tier above', () => {
    const { grid: _grid, ...noGrid } = ctx;
    expect(assigneeFor(noGrid, 'grid')).toMatchObject({ tier: 'community', placeId: 'community-1' });
    expect(assigneeFor(ctx, 'street')).toMatchObject({ tier: 'street', placeId: 'street-1' });
  });
});
