import type { DispatchDecision } from '../contracts/dispatch.js';
import type { Level } from '../contracts/level.js';
import type { DispatchPolicy } from './default-policy.js';
import { DEFAULT_WARN_AT } from './policy-definition.js';

/** The decision of a per-level defaults table alone, without any rule (tests, and the fallback). */
export function defaultDecision(policy: DispatchPolicy, level: Level, warnAt = DEFAULT_WARN_AT): DispatchDecision {
  const rule = policy[level];
  return {
    tier: rule.tier,
    priority: rule.priority,
    notify: [...rule.notify],
    respondWithin: rule.respondWithin,
    resolveWithin: rule.resolveWithin,
    warnAt,
    remindEvery: rule.remindEvery,
    rules: [],
  };
}
