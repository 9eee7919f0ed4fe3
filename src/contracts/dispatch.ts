import type { Level } from './level.js';
import type { DeadlineSpec } from './order.js';
import type { DeviceType, PlaceKind, Tier } from './registry.js';

/**
 * What the dispatch policy decides from (json-rules-engine facts), built once per alert that
 * creates, escalates or re-routes an order. Never contains personal data: policies are written by
 * operators and their decisions are logged.
 */
export interface DispatchFacts {
  level: Level;
  /** 1 (blue) .. 4 (red), for `greaterThanInclusive` conditions. */
  levelRank: number;
  scenarioId: string;
  /** The scenario's category (`elderly_care`, `gas`, `fire`, `water`, `device`, ...). */
  category: string;
  deviceType: DeviceType;
  subject: {
    id: string | null;
    kind: string | null;
    livingAlone: boolean;
    age: number | null;
    tags: string[];
    attributes: Record<string, unknown>;
  };
  place: {
    id: string;
    kind: PlaceKind;
    gridId: string | null;
    communityId: string | null;
    streetId: string | null;
  };
  /** Local time at the place (its time zone): hour 0–23, minutes since midnight, ISO weekday 1–7. */
  localHour: number;
  localMinutes: number;
  weekday: number;
  /** Whether today is a working day in the Chinese calendar (holidays, 调休). */
  workingDay: boolean;
  /** Unfinished orders of the same subject (0 without a subject), this one excluded. */
  openOrdersOfSubject: number;
  /** Places / departments that rejected this order before (re-routing avoids them). */
  rejectedBy: string[];
}

/** What the policy decided for one alert. */
export interface DispatchDecision {
  tier: Tier;
  /** 1 (blue) .. 4 (red); overdue supervision may raise it to 5 later. */
  priority: number;
  /** Parties informed besides the assignee, e.g. `leadership`. */
  notify: string[];
  /** A registry department id (`gas-company`), when a rule routes to one. */
  department?: string;
  respondWithin: DeadlineSpec;
  resolveWithin: DeadlineSpec;
  /** Fraction of each deadline's span at which a warning goes out (0 = no warning). */
  warnAt: number;
  /** Once leadership supervises (the top of the ladder), the shortest interval between reminders, in ms. */
  remindEvery: number;
  /** Names of the rules that matched, in the order they were applied. */
  rules: string[];
}

/** Evaluates the operator's policy for one alert. Asynchronous: json-rules-engine's `run` is. */
export interface DispatchPolicyEvaluator {
  decide(facts: DispatchFacts): Promise<DispatchDecision>;
}

/** What the API shows about the running policy (`GET /api/dispatch-policy`). */
export interface DispatchPolicyInfo {
  /** The file the running policy came from, or `built-in`. */
  source: string;
  /** Rule names, in file order. */
  rules: string[];
  /** Engine-clock time it was loaded (passed in: the policy never reads a clock). */
  loadedAt: number;
}
