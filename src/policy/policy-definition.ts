import type { DispatchFacts } from '../contracts/dispatch.js';
import type { DeadlineSpec } from '../contracts/order.js';
import type { Tier } from '../contracts/registry.js';
import { DEFAULT_DISPATCH_POLICY, type DispatchPolicy } from './default-policy.js';

/**
 * A dispatch policy as data: what `rules/dispatch/policy.yaml` says once parsed and checked
 * (`policy-file.ts`), and what `DispatchPolicyEngine` runs. Plain JSON-like values only, so a
 * policy can be printed, compared and served over the API without running it.
 */
export interface DispatchPolicyDefinition {
  /** The file it came from (relative to the working directory), or `built-in`. */
  source: string;
  /** Per level: what an order gets when no rule says otherwise. */
  defaults: DispatchPolicy;
  /** Fraction of each deadline's span at which a warning goes out (0 = none). */
  warnAt: number;
  /** In file order; the engine applies matches by `priority`, then by this order. */
  rules: PolicyRule[];
}

export interface PolicyRule {
  /** Unique in the policy; orders list the names of the rules that routed them (`policyRules`). */
  name: string;
  description?: string;
  /** json-rules-engine priority (≥ 1): higher is evaluated first and wins a field another rule also sets. */
  priority: number;
  /** json-rules-engine conditions over DispatchFacts (top level: `all`, `any` or `not`). */
  when: PolicyCondition;
  then: PolicyOutcome;
  /** 1-based line of the rule in its file, for messages; absent for rules built in code. */
  line?: number;
}

/** json-rules-engine's condition grammar, restricted to what the policy file admits (no condition references). */
export type PolicyCondition =
  | { all: PolicyCondition[]; name?: string; priority?: number }
  | { any: PolicyCondition[]; name?: string; priority?: number }
  | { not: PolicyCondition; name?: string; priority?: number }
  | FactCondition;

export interface FactCondition {
  fact: keyof DispatchFacts;
  /** A json-rules-engine operator, optionally decorated (`not:in`, `someFact:equal`). */
  operator: string;
  /** A literal, or `{ fact, path? }` to compare with another fact. */
  value: unknown;
  /** Into an object fact: `$.livingAlone`, `$.attributes.floor`. */
  path?: string;
  name?: string;
  priority?: number;
}

/** What a matching rule sets. Every field is optional; see `DispatchPolicyEngine` for how matches merge. */
export interface PolicyOutcome {
  tier?: Tier;
  /** Raise the decided tier by this many steps (grid → community → street, capped at street). */
  tierUp?: number;
  /** The order's priority, 1 (blue) .. 4 (red). */
  priority?: number;
  /** Parties informed besides the assignee; added to the level's list, never replacing it. */
  notify?: string[];
  /** A registry department id (`gas-company`). */
  department?: string;
  respondWithin?: DeadlineSpec;
  resolveWithin?: DeadlineSpec;
  warnAt?: number;
}

/** Deadline warnings at 80 % of each span unless the policy says otherwise. */
export const DEFAULT_WARN_AT = 0.8;

/** The policy in force when no policy file exists: today's per-level table and no rules. */
export const BUILT_IN_POLICY: DispatchPolicyDefinition = {
  source: 'built-in',
  defaults: DEFAULT_DISPATCH_POLICY,
  warnAt: DEFAULT_WARN_AT,
  rules: [],
};
