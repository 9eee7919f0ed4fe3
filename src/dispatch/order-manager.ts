import { randomUUID } from 'node:crypto';
import type { Alert, AlertEvent } from '../contracts/alert.js';
import type { Level } from '../contracts/level.js';
import type { DispatchOrder, OrderHistoryEntry, OrderStatus } from '../contracts/order.js';
import type { DeviceContext, PersonalData } from '../contracts/registry.js';
import { ERR_ORDER_TRANSITION, ERR_VALIDATION } from '../core/errors.js';
import { levelRank } from '../alerts/levels.js';
import { assigneeFor, tierRank, type DispatchPolicy } from './dispatch-policy.js';
import { canTransition, isFinished, REPORTABLE_STATUSES } from './order-lifecycle.js';
import { deadlineAfter } from './sla-calendar.js';

export type OrderChange = 'created' | 'escalated' | 'alert_level' | 'alert_cleared' | 'status';

export interface OrderUpdate {
  order: DispatchOrder;
  change: OrderChange;
}

export interface OrderManagerOptions {
  policy: DispatchPolicy;
  /** Resolves a device's context (assignee places, time zone, subject contact) at dispatch time. */
  context(deviceId: string): DeviceContext | undefined;
  /** The latest order for an alert, from the store (used for alerts restored after a restart). */
  findByAlert(alertId: string): DispatchOrder | undefined;
  scenarioDispatches(scenarioId: string): boolean;
  newId?: () => string;
}

const HISTORY_LIMIT = 200;

/**
 * Turns alert lifecycle events into dispatch orders: one order per alert; escalation raises the
 * same order's level, priority and tier (never lowers them: an order already with the community is
 * not handed back to the grid when the reading improves); a clear is recorded on the order, which
 * downstream closes. An alert escalating after its order was finished gets a fresh order.
 */
export class OrderManager {
  private readonly newId: () => string;

  constructor(private readonly options: OrderManagerOptions) {
    this.newId = options.newId ?? randomUUID;
  }

  onAlertEvent(event: AlertEvent): OrderUpdate | undefined {
    const { alert } = event;
    if (!this.options.scenarioDispatches(alert.scenarioId)) return undefined;
    const existing = this.options.findByAlert(alert.id);
    const live = existing && !isFinished(existing.status) ? existing : undefined;
    switch (event.type) {
      case 'opened':
        return live ? undefined : this.create(alert, event.at);
      case 'escalated':
        return live ? this.escalate(live, alert, event.at) : this.create(alert, event.at);
      case 'deescalated':
        return live ? this.note(live, 'alert_level', { at: event.at, type: 'alert_level', level: alert.level, note: `alert lowered to ${alert.level}` }) : undefined;
      case 'cleared':
        return live ? this.note(live, 'alert_cleared', { at: event.at, type: 'alert_cleared', note: 'alert cleared: readings back to normal' }) : undefined;
    }
  }

  /** A status report from a downstream dispatch system. Repeating the current status changes nothing. */
  applyStatus(order: DispatchOrder, status: OrderStatus, at: number, note?: string, by?: string): OrderUpdate | undefined {
    if (!REPORTABLE_STATUSES.includes(status)) throw ERR_VALIDATION(`status ${status} cannot be reported`);
    if (order.status === status) return undefined;
    if (!canTransition(order.status, status)) throw ERR_ORDER_TRANSITION(order.id, order.status, status);
    const next = this.bump(order, at);
    next.status = status;
    const entry: OrderHistoryEntry = { at, type: 'status', status };
    if (note) entry.note = note;
    if (by) entry.by = by;
    pushHistory(next, entry);
    return { order: next, change: 'status' };
  }

  private create(alert: Alert, at: number): OrderUpdate | undefined {
    const ctx = this.options.context(alert.deviceId);
    if (!ctx) return undefined; // the device left the registry since the reading; nothing to route to
    const rule = this.options.policy[alert.level];
    const assignee = assigneeFor(ctx, rule.tier);
    const order: DispatchOrder = {
      id: this.newId(),
      alertId: alert.id,
      scenarioId: alert.scenarioId,
      scenarioName: alert.scenarioName,
      category: alert.category,
      level: alert.level,
      priority: rule.priority,
      tier: assignee.tier,
      assignee,
      notify: [...rule.notify],
      // Committed to the outbox in the same transaction as the order itself: it is on its way.
      status: 'dispatched',
      createdAt: at,
      updatedAt: at,
      responseDueAt: deadlineAfter(at, rule.respondWithin, ctx.timeZone),
      resolutionDueAt: deadlineAfter(at, rule.resolveWithin, ctx.timeZone),
      version: 1,
      deviceId: alert.deviceId,
      placeId: alert.placeId,
      summary: alert.summary,
      history: [{ at, type: 'created', status: 'dispatched', tier: assignee.tier, level: alert.level }],
    };
    if (alert.gridId) order.gridId = alert.gridId;
    if (alert.communityId) order.communityId = alert.communityId;
    if (alert.streetId) order.streetId = alert.streetId;
    if (ctx.subject) {
      const s = ctx.subject;
      order.subject = { id: s.id, kind: s.kind, livingAlone: s.livingAlone };
      if (s.age !== undefined) order.subject.age = s.age;
      // The one place personal data leaves the engine, and only what the handler needs to reach
      // the resident: name, phone, address. The ID number stays in the registry (data minimisation).
      if (s.personal) order.subject.contact = contactOf(s.personal);
    }
    return { order, change: 'created' };
  }

  private escalate(order: DispatchOrder, alert: Alert, at: number): OrderUpdate {
    const ctx = this.options.context(alert.deviceId);
    const rule = this.options.policy[alert.level];
    const next = this.bump(order, at);
    if (levelRank(alert.level) > levelRank(next.level)) next.level = alert.level;
    next.priority = Math.max(next.priority, rule.priority);
    next.summary = alert.summary;
    if (ctx && tierRank(rule.tier) > tierRank(next.tier)) {
      next.assignee = assigneeFor(ctx, rule.tier);
      next.tier = next.assignee.tier;
    }
    for (const party of rule.notify) if (!next.notify.includes(party)) next.notify.push(party);
    if (ctx) {
      // A higher level may demand a faster response; never extend a deadline already promised.
      next.responseDueAt = Math.min(next.responseDueAt, deadlineAfter(at, rule.respondWithin, ctx.timeZone));
      next.resolutionDueAt = Math.min(next.resolutionDueAt, deadlineAfter(at, rule.resolveWithin, ctx.timeZone));
    }
    pushHistory(next, { at, type: 'escalated', level: alert.level as Level, tier: next.tier });
    return { order: next, change: 'escalated' };
  }

  private note(order: DispatchOrder, change: OrderChange, entry: OrderHistoryEntry): OrderUpdate {
    const next = this.bump(order, entry.at);
    pushHistory(next, entry);
    return { order: next, change };
  }

  /** A new version of the order (the stored one stays untouched until the transaction commits). */
  private bump(order: DispatchOrder, at: number): DispatchOrder {
    return { ...order, assignee: { ...order.assignee }, notify: [...order.notify], history: [...order.history], version: order.version + 1, updatedAt: at };
  }
}

function pushHistory(order: DispatchOrder, entry: OrderHistoryEntry): void {
  order.history.push(entry);
  if (order.history.length > HISTORY_LIMIT) order.history.splice(1, order.history.length - HISTORY_LIMIT);
}

function contactOf(personal: PersonalData): PersonalData {
  const contact: PersonalData = {};
  if (personal.name !== undefined) contact.name = personal.name;
  if (personal.phone !== undefined) contact.phone = personal.phone;
  if (personal.address !== undefined) contact.address = personal.address;
  return contact;
}
