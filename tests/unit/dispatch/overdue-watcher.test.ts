import { describe, expect, it } from 'vitest';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { OverdueWatcher } from '../../../src/dispatch/overdue-watcher.js';
import { defaultDecision } from '../../../src/policy/default-decision.js';
import { DEFAULT_DISPATCH_POLICY } from '../../../src/policy/default-policy.js';
import { makeOrder, T0 } from '../../helpers/store-fixtures.js';
import { unattendedOrder, type NoticeEvent } from '../../helpers/unattended-order.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const ms = (spec: { ms: number } | { workingDays: number }) => ('ms' in spec ? spec.ms : Number.NaN);

/** Warnings and misses as `[kind, type, minutes after start]`, for readable failures. */
const steps = (events: NoticeEvent[], start: number) =>
  events.filter((e) => e.kind).map((e) => [e.kind, e.change, (e.at - start) / MIN]);

describe('overdue watcher', () => {
  it('arms each order at its next check, re-arms it as the order changes, and forgets finished ones', () => {
    const clock = new ManualScheduler(T0);
    const due: Array<[string, number]> = [];
    const watcher = new OverdueWatcher(clock, (id, now) => due.push([id, now]));
    const order = makeOrder({ id: 'o1', createdAt: T0, responseDueAt: T0 + 30 * MIN }); // warning at 80 %: 24 min
    watcher.watch(order);
    expect(watcher.size).toBe(1);
    clock.advanceTo(T0 + 24 * MIN);
    expect(due).toEqual([['o1', T0 + 24 * MIN]]);
    expect(watcher.size).toBe(0); // fired: the dispatcher re-arms it once the step is committed

    watcher.watch({ ...order, warned: { response: order.responseDueAt } }); // warned: next is the deadline itself
    clock.advanceTo(T0 + 29 * MIN);
    expect(due).toHaveLength(1);
    watcher.watch({ ...order, status: 'resolved', warned: { response: order.responseDueAt } });
    expect(watcher.size).toBe(0);
    clock.advanceTo(T0 + DAY);
    expect(due).toHaveLength(1);
    watcher.dispose();
  });

  it('lets an unattended red order publish a bounded number of events in 24 virtual hours', () => {
    const red = DEFAULT_DISPATCH_POLICY.red; // street, respond 15 min, resolve 24 h, remind every 1 h, warn at 80 %
    const start = Date.parse('2026-11-23T10:00:00+08:00');
    const run = unattendedOrder('red', defaultDecision(DEFAULT_DISPATCH_POLICY, 'red'), start);
    run.runUntil(start + DAY);

    // The bound, from the policy. Red starts at the street, one step below leadership (the top).
    const respond = ms(red.respondWithin);
    const resolve = ms(red.resolveWithin);
    const responseSteps = 2; // its warning, then its miss: street → leadership
    const reminders = Math.floor((DAY - respond) / Math.max(respond, red.remindEvery)); // no warning before a reminder
    const resolutionSteps = resolve <= DAY ? 2 : 1; // its warning, its miss (street → leadership) if within the day
    const bound = 1 + responseSteps + reminders + resolutionSteps;
    expect([respond, resolve, red.remindEvery, reminders, bound]).toEqual([15 * MIN, DAY, HOUR, 23, 28]);
    expect(run.events.length).toBeLessThanOrEqual(bound);

    expect(steps(run.events, start)).toEqual([
      ['response', 'deadline_warning', 12],
      ['response', 'overdue', 15],
      ...Array.from({ length: 18 }, (_, i) => ['response', 'overdue', 15 + (i + 1) * 60]), // 1:15 … 18:15
      ['resolution', 'deadline_warning', 19 * 60 + 12], // 19:12, 80 % of a span the reminders never moved
      ...Array.from({ length: 5 }, (_, i) => ['response', 'overdue', 15 + (i + 19) * 60]), // 19:15 … 23:15
      ['resolution', 'overdue', 24 * 60],
    ]);
    expect(run.events).toHaveLength(bound);
    expect(run.order()).toMatchObject({ priority: 5, overdueCount: 25, resolutionDueAt: start + 2 * DAY });
  });

  it('climbs the whole ladder for an unattended orange order before reminding leadership every span', () => {
    const orange = DEFAULT_DISPATCH_POLICY.orange; // community, respond 2 h, resolve 24 h, remind every 1 h
    const start = Date.parse('2026-11-23T10:00:00+08:00');
    const run = unattendedOrder('orange', defaultDecision(DEFAULT_DISPATCH_POLICY, 'orange'), start);
    run.runUntil(start + DAY);
    const respond = ms(orange.respondWithin);
    // community → street at 2 h, street → leadership at 4 h, each warned at 80 %; then a reminder every
    // max(2 h, 1 h) = 2 h: 6 h … 24 h.
    const reminders = Math.floor((DAY - 2 * respond) / Math.max(respond, orange.remindEvery));
    const bound = 1 + 2 * 2 + reminders + 2;
    expect([reminders, bound]).toEqual([10, 17]);
    expect(run.events).toHaveLength(bound);
    expect(steps(run.events, start).slice(0, 5)).toEqual([
      ['response', 'deadline_warning', 96],
      ['response', 'overdue', 120],
      ['response', 'deadline_warning', 216],
      ['response', 'overdue', 240],
      ['response', 'overdue', 360],
    ]);
    expect(run.order().supervision.filter((s) => s.deadline === 'response').map((s) => s.to)).toEqual([
      'street', 'leadership', ...Array.from({ length: reminders }, () => 'leadership'),
    ]);
  });

  it('keeps reminding at the same pace for a week, the order and its lists bounded', () => {
    const start = Date.parse('2026-11-23T10:00:00+08:00');
    const run = unattendedOrder('red', defaultDecision(DEFAULT_DISPATCH_POLICY, 'red'), start);
    run.runUntil(start + 7 * DAY);
    const order: DispatchOrder = run.order();
    // 1 created, 2 response steps, then 7 × 24 − 1 hourly reminders; the resolution deadline
    // once per day: a warning and a miss on day one, a reminder (no warning) on each later day.
    expect(run.events).toHaveLength(1 + 2 + (7 * 24 - 1) + 2 + 6);
    expect(order.supervision.length).toBeLessThanOrEqual(50);
    expect(order.supervision.filter((s) => s.deadline === 'resolution').length).toBeGreaterThanOrEqual(1);
    expect(order.warned).toEqual({ response: start + 15 * MIN, resolution: start + DAY });
  });
});
