import type { Level } from './level.js';
import type { PersonalData, Tier } from './registry.js';

export type OrderStatus =
  | 'created' | 'dispatched' | 'accepted' | 'in_progress' | 'resolved' | 'closed'
  | 'rejected' | 'false_alarm' | 'cancelled' | 'escalated';

/** Statuses a downstream system (or an operator) may report; the engine sets the others itself. */
export const REPORTABLE_STATUSES = [
  'accepted', 'in_progress', 'resolved', 'false_alarm', 'closed', 'rejected', 'cancelled',
] as const satisfies readonly OrderStatus[];

/** `$id` of the published order JSON Schema (`schemas/order.schema.json`), the CloudEvent `dataschema`. */
export const ORDER_SCHEMA_ID = 'urn:riskwatch:schema:order:v1';

/** A deadline as policy states it: a fixed span, or a number of working days (Chinese calendar). */
export type DeadlineSpec = { ms: number } | { workingDays: number };

/** Which of an order's two deadlines: to respond (accept) and to resolve. */
export type DeadlineKind = 'response' | 'resolution';

/** Escalation ladder for missed deadlines: the tiers, then leadership (街道领导 / 督办). */
export type SupervisionTier = Tier | 'leadership';

export interface OrderHistoryEntry {
  at: number;
  type:
    | 'created' | 'escalated' | 'status' | 'alert_cleared' | 'alert_level'
    | 'rerouted' | 'cancelled' | 'overdue' | 'deadline_warning';
  status?: OrderStatus;
  tier?: Tier;
  level?: Level;
  /** For `overdue` and `deadline_warning`: which deadline. */
  deadline?: DeadlineKind;
  /** For `rerouted`: the place (or department) that now handles it. */
  assigneePlaceId?: string;
  note?: string;
  by?: string;
}

/**
 * One supervision record (督办): a deadline was missed and the order went one step up the ladder.
 * The ladder is grid → community → street → leadership; at the top, leadership is (re)notified.
 */
export interface SupervisionEntry {
  at: number;
  deadline: DeadlineKind;
  /** The deadline that was missed (epoch ms). */
  dueAt: number;
  from: SupervisionTier;
  to: SupervisionTier;
  /** Priority after the escalation. */
  priority: number;
  /** The new deadline of the same kind, so a further miss escalates again. */
  nextDueAt: number;
}

/** A handling department (gas company, water company, fire brigade), from the registry. */
export interface Department {
  id: string;
  name: string;
  /** The department's duty hotline: an organisation's number, not personal data. */
  phone?: string;
  /** What it handles (`gas`, `water`, `fire`, `property`), from the registry. */
  kind?: string;
}

/** The SLA an order was given, as the policy stated it, so re-armed deadlines use the same spans. */
export interface OrderSla {
  respondWithin: DeadlineSpec;
  resolveWithin: DeadlineSpec;
  /** Fraction of a deadline's span after which a warning is published (e.g. 0.8); 0 = none. */
  warnAt: number;
  /**
   * At the top of the supervision ladder (leadership), a deadline missed again is re-notified no
   * more often than this (ms): the next one falls this long after the miss, or a span later if the
   * span is longer.
   */
  remindEvery: number;
}

/**
 * The deadline of each kind last warned about (its dueAt, epoch ms). An order runs at most one
 * deadline per kind at a time and a warning is only ever due for the running one, so this is all
 * that must be remembered: the running deadline was either warned (its dueAt is here) or not yet.
 * It cannot overflow and forget, as a list of every warned deadline would.
 */
export interface WarnedDeadlines {
  response?: number;
  resolution?: number;
}

export interface Assignee {
  tier: Tier;
  placeId: string;
  placeName: string;
  office?: string;
  /** Duty person and phone from the registry: personal data, only ever inside orders. */
  person?: string;
  phone?: string;
}

/** A work order for the grid / community / street tier, born from an alert. */
export interface DispatchOrder {
  id: string;
  alertId: string;
  scenarioId: string;
  scenarioName: string;
  category: string;
  level: Level;
  /** 1 (blue) .. 4 (red), 5 once a missed deadline reached leadership; only ever goes up for the same order. */
  priority: number;
  tier: Tier;
  assignee: Assignee;
  /** Further parties to inform, e.g. `leadership` for red. */
  notify: string[];
  status: OrderStatus;
  createdAt: number;
  updatedAt: number;
  responseDueAt: number;
  resolutionDueAt: number;
  /** Increases with every change; (id, version) identifies one published state. */
  version: number;
  deviceId: string;
  /** The device's place and its ancestors, for filtering and statistics by place. */
  placeId: string;
  gridId?: string;
  communityId?: string;
  streetId?: string;
  subject?: { id: string; kind: string; livingAlone: boolean; age?: number; contact?: PersonalData };
  summary: string;
  /** Department that handles it besides the tier office (from the dispatch policy), if any. */
  department?: Department;
  sla: OrderSla;
  /** Names of the dispatch-policy rules that decided the routing, for operators to audit. */
  policyRules: string[];
  /** First acceptance (or any later status implying it), for response-time statistics. */
  acceptedAt?: number;
  /** When it was resolved (or reported a false alarm), for resolution-time statistics. */
  resolvedAt?: number;
  closedAt?: number;
  /** Per deadline kind, the deadline last warned about, so neither a restart nor time warns it twice. */
  warned: WarnedDeadlines;
  /** Missed deadlines so far. */
  overdueCount: number;
  supervision: SupervisionEntry[];
  /** Assignee places (or department ids) that rejected the order; re-routing avoids them. */
  rejectedBy: string[];
  history: OrderHistoryEntry[];
}

/** What one new version of an order changed; the CloudEvent type is `riskwatch.order.{change}`. */
export type OrderChange =
  | 'created' | 'escalated' | 'alert_level' | 'alert_cleared' | 'status'
  | 'rerouted' | 'cancelled' | 'overdue' | 'deadline_warning';

/** A new version of an order and what it changed. */
export interface OrderUpdate {
  order: DispatchOrder;
  change: OrderChange;
}
