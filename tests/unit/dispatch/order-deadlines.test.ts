import { describe, expect, it } from 'vitest';
import type { DispatchOrder, SupervisionEntry } from '../../../src/contracts/order.js';
import { dueAt, nextCheckAt, pendingWarning, runningDeadlines, warningTime } from '../../../src/dispatch/order-deadlines.js';
import { makeOrder, T0 } from '../../helpers/store-fixtures.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** An order nobody accepted: respond within 30 min, resolve within 24 h, warn at 80 %. */
const open = (overrides: Partial<DispatchOrder> = {}) =>
  makeOrder({ createdAt: T0, responseDueAt: T0 + 30 * MIN, resolutionDueAt: T0 + 24 * HOUR, ...overrides });

const step = (overrides: Partial<SupervisionEntry>): SupervisionEntry => ({
  at: T0 + 30 * MIN, deadline: 'response', dueAt: T0 + 30 * MIN, from: 'street', to: 'leadership', priority: 5, nextDueAt: T0 + 90 * MIN, ...overrides,
});

describe('order deadlines', () => {
  it('warns of a deadline once: after its warning, the next check is the deadline itself', () => {
    const order = open();
    expect(nextCheckAt(order)).toBe(T0 + 24 * MIN);
    expect(dueAt(order, T0 + 24 * MIN)).toEqual({ kind: 'response', dueAt: T0 + 30 * MIN, type: 'warning' });
    const warned = open({ warned: { response: T0 + 30 * MIN } });
    expect(dueAt(warned, T0 + 29 * MIN)).toBeUndefined();
    expect(nextCheckAt(warned)).toBe(T0 + 30 * MIN);
  });

  it('remembers warnings per kind: two deadlines falling at the same instant are each warned once', () => {
    const same = T0 + 30 * MIN;
    const order = open({ resolutionDueAt: same, warned: { response: same } });
    expect(dueAt(order, T0 + 25 * MIN)).toEqual({ kind: 'resolution', dueAt: same, type: 'warning' });
    expect(dueAt({ ...order, warned: { response: same, resolution: same } }, T0 + 25 * MIN)).toBeUndefined();
  });

  it('warns again when a deadline moves: a tightened or re-armed deadline is a new one', () => {
    const order = open({ warned: { response: T0 + 30 * MIN }, responseDueAt: T0 + 20 * MIN }); // an escalation tightened it
    expect(dueAt(order, T0 + 17 * MIN)).toEqual({ kind: 'response', dueAt: T0 + 20 * MIN, type: 'warning' });
  });

  it('never warns at or after the deadline: the miss is due instead, even when the warning never went out', () => {
    const order = open(); // not warned
    expect(dueAt(order, T0 + 30 * MIN)).toEqual({ kind: 'response', dueAt: T0 + 30 * MIN, type: 'overdue' });
    expect(dueAt(order, T0 + 3 * HOUR)).toEqual({ kind: 'response', dueAt: T0 + 30 * MIN, type: 'overdue' });
    // A span that ends where it starts leaves no moment for a warning.
    expect(warningTime({ kind: 'response', dueAt: T0, since: T0, reminder: false }, 0.8)).toBeUndefined();
    expect(warningTime({ kind: 'response', dueAt: T0 + 1, since: T0, reminder: false }, 0.99)).toBe(T0);
    expect(warningTime({ kind: 'response', dueAt: T0 + HOUR, since: T0, reminder: false }, 0)).toBeUndefined();
  });

  it('treats a deadline armed by a step to the top of the ladder as a reminder: no warning before it', () => {
    const atTop = open({ status: 'escalated', supervision: [step({})], responseDueAt: T0 + 90 * MIN, warned: { response: T0 + 30 * MIN } });
    const [response] = runningDeadlines(atTop);
    expect(response).toEqual({ kind: 'response', dueAt: T0 + 90 * MIN, since: T0 + 30 * MIN, reminder: true });
    expect(pendingWarning(atTop, response!)).toBeUndefined();
    expect(nextCheckAt(atTop)).toBe(T0 + 90 * MIN);
    // The resolution deadline is still the handler's own: its span was never stepped up.
    expect(runningDeadlines(atTop)[1]).toMatchObject({ kind: 'resolution', reminder: false });
  });

  it('gives a re-routed order a real deadline again, warned as usual', () => {
    const rerouted = open({
      status: 'dispatched',
      supervision: [step({})],
      responseDueAt: T0 + 100 * MIN,
      history: [{ at: T0, type: 'created' }, { at: T0 + 40 * MIN, type: 'rerouted', tier: 'community' }],
    });
    const [response] = runningDeadlines(rerouted);
    expect(response).toMatchObject({ since: T0 + 40 * MIN, reminder: false });
    expect(nextCheckAt(rerouted)).toBe(T0 + 40 * MIN + 0.8 * 60 * MIN);
  });

  it('watches only the resolution deadline once someone accepted, and nothing once finished', () => {
    expect(runningDeadlines(open({ status: 'accepted' })).map((d) => d.kind)).toEqual(['resolution']);
    expect(runningDeadlines(open({ status: 'closed' }))).toEqual([]);
    expect(nextCheckAt(open({ status: 'cancelled' }))).toBeUndefined();
  });
});
