import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Level } from '../../../src/contracts/level.js';
import type { DeadlineKind, DispatchOrder, OrderStatus } from '../../../src/contracts/order.js';
import { canTransition, isFinished } from '../../../src/dispatch/order-lifecycle.js';
import { dueAt, nextCheckAt, runningDeadlines } from '../../../src/dispatch/order-deadlines.js';
import { OrderManager } from '../../../src/dispatch/order-manager.js';
import { TOP_OF_LADDER } from '../../../src/dispatch/supervision-ladder.js';
import { defaultDecision } from '../../../src/policy/default-decision.js';
import { DEFAULT_DISPATCH_POLICY } from '../../../src/policy/default-policy.js';
import { makeContext } from '../../helpers/device-context.js';
import { makeAlert } from '../../helpers/store-fixtures.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const START = Date.parse('2026-11-23T09:00:00+08:00');
const LEVELS: Level[] = ['blue', 'yellow', 'orange', 'red'];

type Action =
  | { type: 'wait'; ms: number }
  | { type: 'escalate'; level: Level }
  | { type: 'report'; status: OrderStatus };

const actions = fc.array(fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 * 60 }).map((m): Action => ({ type: 'wait', ms: m * MIN })) },
  { weight: 1, arbitrary: fc.constantFrom(...LEVELS).map((level): Action => ({ type: 'escalate', level })) },
  { weight: 1, arbitrary: fc.constantFrom<OrderStatus>('accepted', 'in_progress', 'rejected').map((status): Action => ({ type: 'report', status })) },
), { maxLength: 40 });

interface Notice {
  kind: DeadlineKind;
  type: 'warning' | 'overdue';
  at: number;
  dueAt: number;
  /** The deadline as it ran when the notice was decided. */
  reminder: boolean;
}

/**
 * One order through a random life — time passing (every warning and miss applied at its moment,
 * as the watcher would), escalations of its alert, status reports and re-routes — with the
 * deadline notices it got.
 */
function live(level: Level, warnAt: number, remindEvery: number, steps: Action[]): { notices: Notice[]; order: DispatchOrder } {
  const ctx = makeContext({ deviceId: 'gd-1', type: 'gas_detector', subject: { id: 'hh-1', livingAlone: true, age: 80 } });
  let order: DispatchOrder | undefined;
  const manager = new OrderManager({ context: () => ctx, findByAlert: () => order, scenarioDispatches: () => true });
  const decision = (l: Level) => ({ ...defaultDecision(DEFAULT_DISPATCH_POLICY, l, warnAt), remindEvery });
  const alert = (l: Level) => makeAlert({ id: 'a-1', deviceId: 'gd-1', level: l });
  order = manager.onAlertEvent({ type: 'opened', alert: alert(level), to: level, at: START }, decision(level))!.order;
  let now = START;
  const notices: Notice[] = [];
  let reports = 0;

  const runTo = (end: number) => {
    for (let next = nextCheckAt(order!); next !== undefined && next <= end; next = nextCheckAt(order!)) {
      now = Math.max(now, next);
      const due = dueAt(order!, now);
      if (!due) throw new Error(`nothing due at the next check ${now}`);
      const running = runningDeadlines(order!).find((d) => d.kind === due.kind)!;
      notices.push({ ...due, at: now, reminder: running.reminder });
      order = manager.deadlineDue(order!, due, now).order;
    }
    now = end;
  };

  for (const step of steps) {
    if (isFinished(order.status)) break;
    if (step.type === 'wait') runTo(now + step.ms);
    else if (step.type === 'escalate') {
      const update = manager.onAlertEvent({ type: 'escalated', alert: alert(step.level), to: step.level, at: now }, decision(step.level));
      if (update && update.order.id === order.id) order = update.order;
    } else if (canTransition(order.status, step.status)) {
      order = manager.applyStatus(order, step.status, now, undefined, `handler-${++reports}`)!.order;
      if (step.status === 'rejected') order = manager.reroute(order, decision(order.level), now).order;
    }
  }
  return { notices, order };
}

describe('deadline notices (property: any life of an order)', () => {
  it('warn each deadline once, strictly before it, never before a reminder; reminders keep their interval', () => {
    fc.assert(fc.property(
      fc.constantFrom(...LEVELS), fc.constantFrom(0, 0.5, 0.8, 0.95), fc.constantFrom(30 * MIN, HOUR, 4 * HOUR), actions,
      (level, warnAt, remindEvery, steps) => {
        const { notices, order } = live(level, warnAt, remindEvery, steps);
        const lastWarned = new Map<DeadlineKind, number>();
        for (const n of notices) {
          if (n.type !== 'warning') continue;
          expect(n.at, 'a warning at or after its deadline').toBeLessThan(n.dueAt);
          expect(n.reminder, 'a warning before a reminder at the top').toBe(false);
          expect(lastWarned.get(n.kind), `${n.kind} deadline ${n.dueAt} warned twice`).not.toBe(n.dueAt);
          lastWarned.set(n.kind, n.dueAt);
        }
        for (const s of order.supervision) {
          if (s.to === TOP_OF_LADDER) expect(s.nextDueAt - s.at, 'a reminder sooner than remindEvery').toBeGreaterThanOrEqual(remindEvery);
        }
      },
    ), { numRuns: 300, seed: 102026 });
  });
});
