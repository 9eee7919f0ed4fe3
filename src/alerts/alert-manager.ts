import type { Alert, AlertEvent, AlertHistoryEntry, AlertTransition } from '../contracts/alert.js';
import type { Scheduler } from '../contracts/clock.js';
import type { Detection } from '../contracts/detection.js';
import type { Level } from '../contracts/level.js';
import type { Scenario } from '../contracts/scenario.js';
import { TimerQueue, type TimerEntry } from '../core/timer-queue.js';
import { timeOrderedIds } from './alert-id.js';
import { isHigher, levelRank, maxLevel } from '../core/levels.js';

/** Per (scenario, key): the open alert, the memory of the last clear (cooldown) and recent changes (flapping). */
interface AlertSlot extends TimerEntry {
  slotKey: string;
  scenarioId: string;
  open?: Alert;
  lastCleared?: { at: number; peak: Level };
  /** Times of recent level changes, for the flapping guard. */
  changes: number[];
  /** While flapping: the verdict we are holding back (a clear or a de-escalation). */
  held?: Detection;
  /**
   * While closed: the newest verdict the cooldown suppressed. Models report only changes, so a
   * condition that persists would never be reported again: it opens when the cooldown ends.
   */
  deferred?: Detection;
}

export interface AlertManagerOptions {
  scheduler: Scheduler;
  scenario(id: string): Scenario | undefined;
  /** Default: UUIDv7 on the engine clock (`timeOrderedIds`), so ids sort by creation. */
  newId?: () => string;
  onSuppressed?(scenarioId: string, key: string): void;
  /** Called for changes decided by a timer (a held clear released after flapping calmed down). */
  onTimedEvent?(event: AlertEvent): void;
}

const HISTORY_LIMIT = 100;

/**
 * The alert lifecycle per (scenario, key): open → escalate / de-escalate → clear.
 *
 * - dedup: at most one open alert per (scenario, key); a repeated verdict changes nothing;
 * - hysteresis lives in the models (reset conditions); here a verdict is taken as final;
 * - cooldown: after a clear, a new verdict at or below the cleared alert's peak within
 *   `alert.cooldownMs` is suppressed (counted); a higher level always breaks through, and so does
 *   red: a gas leak that returns two minutes after clearing is a new emergency, not noise. A
 *   suppressed verdict still standing when the cooldown ends opens then: cooldown delays, never
 *   silences. De-escalation is not a clear: no cooldown applies to it;
 * - flapping guard: with `maxChanges` changes inside `windowMs`, clears and de-escalations are held
 *   back (the alert stays open at its level, flagged `flapping`) until the window passes quietly;
 *   escalations are never held — a rising risk is always announced.
 */
export class AlertManager {
  private readonly slots = new Map<string, AlertSlot>();
  private readonly timers: TimerQueue<AlertSlot>;
  private readonly newId: () => string;

  constructor(private readonly options: AlertManagerOptions) {
    this.newId = options.newId ?? timeOrderedIds(() => options.scheduler.now());
    // One timer per slot: while open it releases a verdict held back by the flapping guard, while
    // closed it opens a verdict deferred by the cooldown.
    this.timers = new TimerQueue<AlertSlot>(options.scheduler, (slot, now) =>
      slot.open ? this.releaseHeld(slot, now) : this.openDeferred(slot, now));
  }

  /** Re-adopts alerts that were open when the engine stopped, so nothing is opened twice. */
  restore(openAlerts: Iterable<Alert>): void {
    for (const alert of openAlerts) {
      const slot = this.slot(alert.scenarioId, alert.key);
      slot.open = alert;
    }
  }

  openAlerts(): Alert[] {
    const result: Alert[] = [];
    for (const slot of this.slots.values()) if (slot.open) result.push(slot.open);
    return result;
  }

  get openCount(): number {
    let n = 0;
    for (const slot of this.slots.values()) if (slot.open) n++;
    return n;
  }

  /** Applies one detection; returns the lifecycle event it causes, if any. */
  handle(detection: Detection): AlertEvent | undefined {
    const scenario = this.options.scenario(detection.scenarioId);
    if (!scenario) return undefined;
    const existing = this.slots.get(slotKeyOf(detection.scenarioId, detection.key));
    if (detection.verdict === 'ok') {
      if (!existing?.open) {
        // Nothing open: an ok is the normal case, cost one Map lookup.
        if (existing?.deferred) this.forgetDeferred(existing);
        return undefined;
      }
      return this.lower(existing, detection, scenario);
    }
    const slot = existing ?? this.slot(detection.scenarioId, detection.key);
    const level = detection.verdict;
    const now = detection.detectedAt;
    const open = slot.open;
    if (!open) {
      const cleared = slot.lastCleared;
      if (cleared && level !== 'red' && now - cleared.at < scenario.alert.cooldownMs && !isHigher(level, cleared.peak)) {
        slot.deferred = detection;
        this.timers.arm(slot, cleared.at + scenario.alert.cooldownMs);
        this.options.onSuppressed?.(scenario.id, detection.key);
        return undefined;
      }
      return this.openAlert(slot, detection, scenario);
    }
    if (level === open.level) {
      slot.held = undefined; // the risk is back where it was: forget a held de-escalation
      return undefined;
    }
    if (isHigher(level, open.level)) {
      slot.held = undefined;
      return this.change(slot, detection, scenario, 'escalated');
    }
    return this.lower(slot, detection, scenario);
  }

  dispose(): void {
    this.timers.dispose();
  }

  private slot(scenarioId: string, key: string): AlertSlot {
    const slotKey = slotKeyOf(scenarioId, key);
    let slot = this.slots.get(slotKey);
    if (!slot) {
      slot = { slotKey, scenarioId, changes: [], dueAt: 0, heapIndex: -1 };
      this.slots.set(slotKey, slot);
    }
    return slot;
  }

  /** A clear or a de-escalation: goes through unless the alert is flapping. */
  private lower(slot: AlertSlot, detection: Detection, scenario: Scenario): AlertEvent | undefined {
    const now = detection.detectedAt;
    if (this.isFlapping(slot, scenario, now)) {
      slot.held = detection;
      const open = slot.open!;
      if (!open.flapping) {
        open.flapping = true;
        pushHistory(open, { at: now, type: 'flapping', summary: `held at ${open.level}: ${slot.changes.length} changes within the flapping window` });
      }
      this.timers.arm(slot, slot.changes[slot.changes.length - 1]! + scenario.alert.flapping.windowMs);
      return undefined;
    }
    return detection.verdict === 'ok' ? this.clear(slot, detection, now) : this.change(slot, detection, scenario, 'deescalated');
  }

  private openAlert(slot: AlertSlot, d: Detection, scenario: Scenario): AlertEvent {
    const level = d.verdict as Level;
    const now = d.detectedAt;
    const ctx = d.ctx;
    const alert: Alert = {
      id: this.newId(),
      scenarioId: scenario.id,
      scenarioName: scenario.name,
      category: scenario.category,
      key: d.key,
      level,
      peakLevel: level,
      status: 'open',
      openedAt: now,
      updatedAt: now,
      deviceId: ctx.device.id,
      placeId: ctx.place.id,
      summary: d.summary,
      evidence: d.evidence,
      flapping: false,
      history: [{ at: now, type: 'opened', to: level, summary: d.summary }],
    };
    if (ctx.subject) alert.subjectId = ctx.subject.id;
    if (ctx.grid) alert.gridId = ctx.grid.id;
    if (ctx.community) alert.communityId = ctx.community.id;
    if (ctx.street) alert.streetId = ctx.street.id;
    slot.open = alert;
    slot.held = undefined;
    if (slot.deferred) this.forgetDeferred(slot);
    this.recordChange(slot, scenario, now);
    return { type: 'opened', alert, to: level, at: now };
  }

  private change(slot: AlertSlot, d: Detection, scenario: Scenario, type: AlertTransition): AlertEvent {
    const alert = slot.open!;
    const from = alert.level;
    const to = d.verdict as Level;
    const now = d.detectedAt;
    alert.level = to;
    alert.peakLevel = maxLevel(alert.peakLevel, to);
    alert.updatedAt = now;
    alert.summary = d.summary;
    alert.evidence = d.evidence;
    pushHistory(alert, { at: now, type, from, to, summary: d.summary });
    this.recordChange(slot, scenario, now);
    return { type, alert, from, to, at: now };
  }

  private clear(slot: AlertSlot, d: Detection, now: number): AlertEvent {
    const alert = slot.open!;
    const from = alert.level;
    alert.status = 'cleared';
    alert.clearedAt = now;
    alert.updatedAt = now;
    alert.flapping = false;
    pushHistory(alert, { at: now, type: 'cleared', from, summary: d.summary });
    slot.open = undefined;
    slot.held = undefined;
    slot.lastCleared = { at: now, peak: alert.peakLevel };
    slot.changes.length = 0;
    this.timers.disarm(slot);
    return { type: 'cleared', alert, from, at: now };
  }

  private recordChange(slot: AlertSlot, scenario: Scenario, now: number): void {
    const { maxChanges, windowMs } = scenario.alert.flapping;
    const changes = slot.changes;
    changes.push(now);
    while (changes.length > 0 && now - changes[0]! > windowMs) changes.shift();
    // Only the last maxChanges matter; keep the array from growing while an alert flaps for days.
    if (changes.length > maxChanges) changes.splice(0, changes.length - maxChanges);
  }

  private isFlapping(slot: AlertSlot, scenario: Scenario, now: number): boolean {
    const { maxChanges, windowMs } = scenario.alert.flapping;
    if (maxChanges <= 0) return false;
    const recent = slot.changes.filter((t) => now - t <= windowMs).length;
    return recent >= maxChanges;
  }

  private forgetDeferred(slot: AlertSlot): void {
    slot.deferred = undefined;
    this.timers.disarm(slot);
  }

  /** The cooldown ended and the suppressed verdict still stands (no ok since): the alert opens now. */
  private openDeferred(slot: AlertSlot, now: number): void {
    const deferred = slot.deferred;
    const scenario = this.options.scenario(slot.scenarioId);
    slot.deferred = undefined;
    if (!deferred || !scenario) return;
    this.options.onTimedEvent?.(this.openAlert(slot, { ...deferred, detectedAt: now }, scenario));
  }

  /** The flapping window passed with no further change: apply the verdict we held back. */
  private releaseHeld(slot: AlertSlot, now: number): void {
    const held = slot.held;
    const open = slot.open;
    if (!held || !open) return;
    const scenario = this.options.scenario(slot.scenarioId);
    if (!scenario) return;
    slot.changes.length = 0;
    open.flapping = false;
    const released: Detection = { ...held, detectedAt: now };
    const event = held.verdict === 'ok' || levelRank(held.verdict) < levelRank(open.level)
      ? (held.verdict === 'ok' ? this.clear(slot, released, now) : this.change(slot, released, scenario, 'deescalated'))
      : undefined;
    slot.held = undefined;
    if (event) this.options.onTimedEvent?.(event);
  }
}

function slotKeyOf(scenarioId: string, key: string): string {
  return `${scenarioId}\u0000${key}`;
}

function pushHistory(alert: Alert, entry: AlertHistoryEntry): void {
  alert.history.push(entry);
  if (alert.history.length > HISTORY_LIMIT) alert.history.splice(1, alert.history.length - HISTORY_LIMIT);
}
