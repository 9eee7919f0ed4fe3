import { randomUUID } from 'node:crypto';
import type { Alert, AlertEvent } from '../contracts/alert.js';
import type { DispatchDecision } from '../contracts/dispatch.js';
import type { Level } from '../contracts/level.js';
import type {
  DeadlineKind, Department, DispatchOrder, OrderChange, OrderHistoryEntry, OrderStatus, OrderUpdate, SupervisionTier,
} from '../contracts/order.js';
import type { DeviceContext, PersonalData } from '../contracts/registry.js';
import { ERR_ORDER_TRANSITION, ERR_VALIDATION } from '../core/errors.js';
import { levelRank } from '../core/levels.js';
import { DEFAULT_TIME_ZONE } from '../core/local-time.js';
import { tierAbove, tierRank } from '../core/tiers.js';
import { assigneeFor } from './assignee.js';
import type { DueDeadline } from './order-deadlines.js';
import {
  awaitsResponse, canTransition, impliesAcceptance, impliesResolution, isFinished, isReportable,
} from './order-lifecycle.js';
import { deadlineAfter, reminderAfter } from './sla-calendar.js';
import { appendSupervision, lastStep, MAX_PRIORITY, stepAbove, TOP_OF_LADDER } from './supervision-ladder.js';

export type { OrderChange, OrderUpdate } from '../contracts/order.js';

export interface OrderManagerOptions {
  /** Resolves a device's context (assignee places, time zone, subject contact) at dispatch time. */
  context(deviceId: string): DeviceContext | undefined;
  /** The latest order for an alert (staged or stored). */
  findByAlert(alertId: string): DispatchOrder | undefined;
  scenarioDispatches(scenarioId: string): boolean;
  /** A registry department by id (the policy names departments by id). */
  department?(id: string): Department | undefined;
  newId?: () => string;
}

const HISTORY_LIMIT = 200;

/**
 * The order lifecycle's decisions, all synchronous and pure over the order given (the stored one
 * is never mutated: each change is a new version). Routing comes in as a `DispatchDecision` the
 * caller obtained from the dispatch policy beforehand (json-rules-engine is asynchronous).
 *
 * - One order per alert. Escalation raises the same order's level, priority and tier (never
 *   lowers them: an order with the community is not handed back to the grid when readings
 *   improve) and only ever tightens deadlines. An alert escalating after its order was finished
 *   gets a fresh order.
 * - A clear before anyone accepted cancels the order (the alert was withdrawn); after acceptance
 *   it is recorded on the order, which the handler closes.
 * - A rejection is followed by a re-route (`reroute`) to the next assignee the policy gives that
 *   has not rejected it; the tier above when it has.
 * - Missed deadlines (`deadlineDue`): one step up the ladder grid → community → street →
 *   leadership, priority up, a supervision entry, and a fresh deadline of the same span, so a
 *   further miss escalates again. Once a step reaches leadership, the top, the next "deadline" is a
 *   reminder: `sla.remindEvery` after the miss (or a span, if longer), with no warning before it.
 * - Warnings: one per deadline, before it falls due (`order-deadlines.ts` decides when), remembered
 *   per kind in `warned` for as long as the order lives.
 */
export class OrderManager {
  private readonly newId: () => string;

  constructor(private readonly options: OrderManagerOptions) {
    this.newId = options.newId ?? randomUUID;
  }

  /** Whether the event needs a policy decision (it may create or escalate an order). */
  needsDecision(event: AlertEvent): boolean {
    if (!this.options.scenarioDispatches(event.alert.scenarioId)) return false;
    return event.type === 'opened' || event.type === 'escalated';
  }

  onAlertEvent(event: AlertEvent, decision: DispatchDecision | undefined): OrderUpdate | undefined {
    const { alert } = event;
    if (!this.options.scenarioDispatches(alert.scenarioId)) return undefined;
    const existing = this.options.findByAlert(alert.id);
    const live = existing && !isFinished(existing.status) ? existing : undefined;
    switch (event.type) {
      case 'opened':
        return live || !decision ? undefined : this.create(alert, event.at, decision);
      case 'escalated':
        if (!decision) return undefined;
        return live ? this.escalate(live, alert, event.at, decision) : this.create(alert, event.at, decision);
      case 'deescalated':
        return live ? this.note(live, 'alert_level', { at: event.at, type: 'alert_level', level: alert.level, note: `alert lowered to ${alert.level}` }) : undefined;
      case 'cleared':
        if (!live) return undefined;
        if (awaitsResponse(live.status)) return this.cancel(live, event.at, 'alert withdrawn before acceptance: readings back to normal');
        return this.note(live, 'alert_cleared', { at: event.at, type: 'alert_cleared', note: 'alert cleared: readings back to normal' });
    }
  }

  /**
   * A status report from a downstream dispatch system or an operator. Delivered twice, it changes
   * nothing the second time: the current status repeated, or the last report repeated word for
   * word (same status, note and reporter) after the engine moved on (a rejection re-routed).
   */
  applyStatus(order: DispatchOrder, status: OrderStatus, at: number, note?: string, by?: string): OrderUpdate | undefined {
    if (!isReportable(status)) throw ERR_VALIDATION(`status ${status} cannot be reported (the engine sets it)`);
    if (order.status === status || isRepeatOfLastReport(order, status, note, by)) return undefined;
    if (!canTransition(order.status, status)) throw ERR_ORDER_TRANSITION(order.id, order.status, status);
    const next = this.bump(order, at);
    next.status = status;
    if (impliesAcceptance(status) && next.acceptedAt === undefined) next.acceptedAt = at;
    if (impliesResolution(status) && status !== 'closed' && next.resolvedAt === undefined) next.resolvedAt = at;
    if (status === 'closed') {
      next.closedAt = at;
      next.resolvedAt ??= at;
    }
    if (status === 'in_progress' && order.status === 'resolved') delete next.resolvedAt; // reopened
    if (status === 'rejected') {
      const party = order.department?.id ?? order.assignee.placeId;
      if (!next.rejectedBy.includes(party)) next.rejectedBy.push(party);
    }
    const entry: OrderHistoryEntry = { at, type: 'status', status };
    if (note) entry.note = note;
    if (by) entry.by = by;
    pushHistory(next, entry);
    return { order: next, change: status === 'cancelled' ? 'cancelled' : 'status' };
  }

  /**
   * After a rejection: the policy's assignee unless it rejected the order already, else the tier
   * above it (up to the street, where leadership is told). The new assignee gets a fresh response
   * deadline.
   */
  reroute(order: DispatchOrder, decision: DispatchDecision, at: number): OrderUpdate {
    const ctx = this.options.context(order.deviceId);
    const next = this.bump(order, at);
    const rejected = new Set(order.rejectedBy);
    if (ctx) {
      let assignee = assigneeFor(ctx, decision.tier);
      while (rejected.has(assignee.placeId) && assignee.tier !== 'street') assignee = assigneeFor(ctx, tierAbove(assignee.tier));
      if (rejected.has(assignee.placeId)) addParty(next.notify, 'leadership'); // even the street refused
      next.assignee = assignee;
      next.tier = assignee.tier;
    }
    const department = decision.department && !rejected.has(decision.department) ? this.options.department?.(decision.department) : undefined;
    if (department) next.department = department;
    else delete next.department;
    next.status = tierRank(next.tier) > tierRank(order.tier) ? 'escalated' : 'dispatched';
    next.responseDueAt = deadlineAfter(at, next.sla.respondWithin, ctx?.timeZone ?? DEFAULT_TIME_ZONE);
    next.resolutionDueAt = Math.max(next.resolutionDueAt, next.responseDueAt);
    pushHistory(next, {
      at, type: 'rerouted', status: next.status, tier: next.tier, assigneePlaceId: next.assignee.placeId,
      note: `re-routed to ${next.assignee.placeName}${department ? ` and ${department.name}` : ''} after a rejection`,
    });
    return { order: next, change: 'rerouted' };
  }

  /** A warning before a deadline, or the miss itself (one step up the supervision ladder). */
  deadlineDue(order: DispatchOrder, due: DueDeadline, at: number): OrderUpdate {
    return due.type === 'warning' ? this.warn(order, due.kind, due.dueAt, at) : this.overdue(order, due.kind, due.dueAt, at);
  }

  private warn(order: DispatchOrder, kind: DeadlineKind, dueAt: number, at: number): OrderUpdate {
    const next = this.bump(order, at);
    next.warned[kind] = dueAt;
    const minutes = Math.max(0, Math.round((dueAt - at) / 60_000));
    pushHistory(next, { at, type: 'deadline_warning', deadline: kind, note: `${kind} deadline in ${minutes} min` });
    return { order: next, change: 'deadline_warning' };
  }

  private overdue(order: DispatchOrder, kind: DeadlineKind, dueAt: number, at: number): OrderUpdate {
    const ctx = this.options.context(order.deviceId);
    const timeZone = ctx?.timeZone ?? DEFAULT_TIME_ZONE;
    const next = this.bump(order, at);
    // A missed response moves the order itself up (the tier above must take it); a missed
    // resolution keeps the handler and puts the step above it in charge of supervising.
    const from: SupervisionTier = kind === 'response' ? currentResponder(order) : currentSupervisor(order);
    const to = stepAbove(from);
    // At the top nobody new takes the order over: leadership is reminded, not given a fresh span.
    const atTop = to === TOP_OF_LADDER;
    if (kind === 'response') {
      if (!atTop && ctx) {
        next.assignee = assigneeFor(ctx, to);
        next.tier = next.assignee.tier;
      }
      if (canTransition(next.status, 'escalated')) next.status = 'escalated';
    }
    if (to !== next.tier) addParty(next.notify, to);
    next.priority = Math.min(MAX_PRIORITY, next.priority + 1);
    next.overdueCount = order.overdueCount + 1;
    const span = kind === 'response' ? next.sla.respondWithin : next.sla.resolveWithin;
    const nextDueAt = atTop ? reminderAfter(at, span, next.sla.remindEvery, timeZone) : deadlineAfter(at, span, timeZone);
    if (kind === 'response') {
      next.responseDueAt = nextDueAt;
      // A new responder must not owe the resolution before its response; a reminder leaves the
      // handler's resolution deadline where it was, and a resolution deadline already missed is
      // not moved by another deadline's miss: its own miss is next in line, not a fresh warning.
      if (!atTop && next.resolutionDueAt > at) next.resolutionDueAt = Math.max(next.resolutionDueAt, nextDueAt);
    } else {
      next.resolutionDueAt = nextDueAt;
    }
    next.supervision = appendSupervision(order.supervision, { at, deadline: kind, dueAt, from, to, priority: next.priority, nextDueAt });
    pushHistory(next, { at, type: 'overdue', deadline: kind, tier: next.tier, note: overdueNote(kind, from, to) });
    return { order: next, change: 'overdue' };
  }

  private create(alert: Alert, at: number, decision: DispatchDecision): OrderUpdate | undefined {
    const ctx = this.options.context(alert.deviceId);
    if (!ctx) return undefined; // the device left the registry since the reading; nothing to route to
    const assignee = assigneeFor(ctx, decision.tier);
    const order: DispatchOrder = {
      id: this.newId(),
      alertId: alert.id,
      scenarioId: alert.scenarioId,
      scenarioName: alert.scenarioName,
      category: alert.category,
      level: alert.level,
      priority: decision.priority,
      tier: assignee.tier,
      assignee,
      notify: [...decision.notify],
      // Committed to the outbox in the same transaction as the order itself: it is on its way.
      status: 'dispatched',
      createdAt: at,
      updatedAt: at,
      responseDueAt: deadlineAfter(at, decision.respondWithin, ctx.timeZone),
      resolutionDueAt: deadlineAfter(at, decision.resolveWithin, ctx.timeZone),
      version: 1,
      deviceId: alert.deviceId,
      placeId: alert.placeId,
      summary: alert.summary,
      sla: slaOf(decision),
      policyRules: [...decision.rules],
      warned: {},
      overdueCount: 0,
      supervision: [],
      rejectedBy: [],
      history: [{ at, type: 'created', status: 'dispatched', tier: assignee.tier, level: alert.level }],
    };
    const department = decision.department ? this.options.department?.(decision.department) : undefined;
    if (department) order.department = department;
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

  private escalate(order: DispatchOrder, alert: Alert, at: number, decision: DispatchDecision): OrderUpdate {
    const ctx = this.options.context(alert.deviceId);
    const next = this.bump(order, at);
    if (levelRank(alert.level) > levelRank(next.level)) next.level = alert.level;
    next.priority = Math.max(next.priority, decision.priority);
    next.summary = alert.summary;
    if (ctx && tierRank(decision.tier) > tierRank(next.tier)) {
      next.assignee = assigneeFor(ctx, decision.tier);
      next.tier = next.assignee.tier;
      // A new assignee must take it; one that already accepted keeps working on it.
      if (awaitsResponse(next.status) && canTransition(next.status, 'escalated')) next.status = 'escalated';
    }
    for (const party of decision.notify) addParty(next.notify, party);
    const department = decision.department ? this.options.department?.(decision.department) : undefined;
    if (department && !next.rejectedBy.includes(department.id)) next.department = department;
    for (const rule of decision.rules) if (!next.policyRules.includes(rule)) next.policyRules.push(rule);
    if (ctx) {
      // A higher level may demand a faster response; never extend a deadline already promised.
      const respondBy = deadlineAfter(at, decision.respondWithin, ctx.timeZone);
      const resolveBy = deadlineAfter(at, decision.resolveWithin, ctx.timeZone);
      if (respondBy < next.responseDueAt) next.responseDueAt = respondBy;
      if (resolveBy < next.resolutionDueAt) next.resolutionDueAt = resolveBy;
      next.sla = slaOf(decision);
    }
    pushHistory(next, { at, type: 'escalated', level: alert.level as Level, tier: next.tier });
    return { order: next, change: 'escalated' };
  }

  private cancel(order: DispatchOrder, at: number, note: string): OrderUpdate {
    const next = this.bump(order, at);
    next.status = 'cancelled';
    pushHistory(next, { at, type: 'cancelled', status: 'cancelled', note });
    return { order: next, change: 'cancelled' };
  }

  private note(order: DispatchOrder, change: OrderChange, entry: OrderHistoryEntry): OrderUpdate {
    const next = this.bump(order, entry.at);
    pushHistory(next, entry);
    return { order: next, change };
  }

  /** A new version of the order (the stored one stays untouched until the transaction commits). */
  private bump(order: DispatchOrder, at: number): DispatchOrder {
    return {
      ...order,
      assignee: { ...order.assignee },
      notify: [...order.notify],
      history: [...order.history],
      policyRules: [...order.policyRules],
      warned: { ...order.warned },
      supervision: [...order.supervision],
      rejectedBy: [...order.rejectedBy],
      version: order.version + 1,
      updatedAt: at,
    };
  }
}

/** Who must respond now: the assigned tier, or leadership once a missed response reached the top. */
function currentResponder(order: DispatchOrder): SupervisionTier {
  return lastStep(order, 'response')?.to === TOP_OF_LADDER ? TOP_OF_LADDER : order.tier;
}

/** Who supervises the resolution now: the last step taken for it, else the handling tier. */
function currentSupervisor(order: DispatchOrder): SupervisionTier {
  const last = lastStep(order, 'resolution');
  if (!last) return order.tier;
  return tierOrder(last.to) >= tierOrder(order.tier) ? last.to : order.tier;
}

function overdueNote(kind: DeadlineKind, from: SupervisionTier, to: SupervisionTier): string {
  if (from === TOP_OF_LADDER) return `${kind} deadline still missed; ${to} reminded`;
  return `${kind} deadline missed; ${kind === 'response' ? 'escalated to' : 'supervised by'} ${to}`;
}

function slaOf(decision: DispatchDecision): DispatchOrder['sla'] {
  return { respondWithin: decision.respondWithin, resolveWithin: decision.resolveWithin, warnAt: decision.warnAt, remindEvery: decision.remindEvery };
}

function tierOrder(tier: SupervisionTier): number {
  return tier === 'leadership' ? 3 : tierRank(tier);
}

function addParty(notify: string[], party: string): void {
  if (!notify.includes(party)) notify.push(party);
}

/**
 * The last report received again (at-least-once delivery from MQTT or a retried PATCH), e.g. a
 * rejection arriving twice after the engine already re-routed the order. Reports should carry
 * `by`: a second rejection by the new assignee with no note and no `by` is indistinguishable.
 */
function isRepeatOfLastReport(order: DispatchOrder, status: OrderStatus, note?: string, by?: string): boolean {
  for (let i = order.history.length - 1; i >= 0; i--) {
    const entry = order.history[i]!;
    if (entry.type !== 'status') continue;
    return entry.status === status && entry.note === note && entry.by === by;
  }
  return false;
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
