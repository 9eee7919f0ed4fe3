import type { DispatchDecision, DispatchFacts } from '../contracts/dispatch.js';
import type { PolicyCondition, PolicyRule } from './policy-definition.js';

/** A fact, or a dotted path into an object fact, that some rule reads. */
interface FactRef {
  fact: keyof DispatchFacts;
  /** `$.livingAlone` → ['livingAlone']; empty for the whole fact. */
  segments: string[];
}

/**
 * Remembers the decisions of one policy by the facts its rules actually read. A policy is a pure
 * function of those facts (the loader admits no custom operators or external facts), so two alerts
 * that agree on every fact the rules mention — and on the level, which picks the defaults — get the
 * same decision. A hit skips json-rules-engine's run (~0.1 ms of promise machinery per alert,
 * measured) and lets the order be decided in the same tick as the reading. Bounded: when full it
 * starts over (a policy has few distinct situations; a working set rebuilds in a few alerts).
 */
export class DecisionMemo {
  private readonly refs: FactRef[];
  private readonly decisions = new Map<string, DispatchDecision>();

  constructor(rules: readonly PolicyRule[], private readonly capacity = 4096) {
    const seen = new Map<string, FactRef>();
    const add = (fact: keyof DispatchFacts, path?: string) => {
      const id = path ? `${fact}${path.slice(1)}` : fact;
      if (!seen.has(id)) seen.set(id, { fact, segments: path ? path.slice(2).split('.') : [] });
    };
    add('level');
    for (const rule of rules) visit(rule.when, add);
    this.refs = [...seen.values()];
  }

  /** The facts the policy reads, as one string. */
  keyOf(facts: DispatchFacts): string {
    const values = new Array<unknown>(this.refs.length);
    for (let i = 0; i < this.refs.length; i++) {
      const ref = this.refs[i]!;
      let value: unknown = facts[ref.fact];
      for (const segment of ref.segments) {
        value = value !== null && typeof value === 'object' && Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
      }
      values[i] = value;
    }
    return JSON.stringify(values);
  }

  /** A copy of the remembered decision (callers may keep and change it). */
  get(key: string): DispatchDecision | undefined {
    const hit = this.decisions.get(key);
    return hit ? copy(hit) : undefined;
  }

  set(key: string, decision: DispatchDecision): void {
    if (this.decisions.size >= this.capacity) this.decisions.clear();
    this.decisions.set(key, copy(decision));
  }

  get size(): number {
    return this.decisions.size;
  }
}

function copy(decision: DispatchDecision): DispatchDecision {
  return { ...decision, notify: [...decision.notify], rules: [...decision.rules] };
}

function visit(condition: PolicyCondition, add: (fact: keyof DispatchFacts, path?: string) => void): void {
  if ('all' in condition) for (const c of condition.all) visit(c, add);
  else if ('any' in condition) for (const c of condition.any) visit(c, add);
  else if ('not' in condition) visit(condition.not, add);
  else {
    add(condition.fact, condition.path);
    // A comparison with another fact (`value: { fact, path }`) reads that fact too.
    const value = condition.value as { fact?: unknown; path?: unknown } | null;
    if (value !== null && typeof value === 'object' && typeof value.fact === 'string') {
      add(value.fact as keyof DispatchFacts, typeof value.path === 'string' ? value.path : undefined);
    }
  }
}
