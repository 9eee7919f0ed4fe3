import { Engine, type EngineResult, type RuleProperties } from 'json-rules-engine';
import type { DispatchDecision, DispatchFacts, DispatchPolicyEvaluator, DispatchPolicyInfo } from '../contracts/dispatch.js';
import { TIERS, tierRank } from '../core/tiers.js';
import { DecisionMemo } from './decision-memo.js';
import { defaultDecision } from './default-decision.js';
import { BUILT_IN_POLICY, type DispatchPolicyDefinition, type PolicyOutcome, type PolicyRule } from './policy-definition.js';
import { loadDispatchPolicyFile, type PolicyLoadOptions } from './policy-file.js';

export type { DispatchPolicyInfo } from '../contracts/dispatch.js';

/**
 * The operator's dispatch policy, evaluated per alert with json-rules-engine.
 *
 * Decision = the level's defaults, then every matching rule in priority order (highest first; equal
 * priority: file order). Per field, the first matching rule that sets it wins — so a specific,
 * high-priority rule ("red gas leak → street") beats a general one ("gas → gas company") where both
 * speak, and both apply where only one does. `notify` lists add up (level's list first); `tierUp`
 * raises the tier chosen that way, capped at street. `rules` lists every match in that order.
 *
 * Lifecycle: constructed from a checked definition (`policy-file.ts`); `replace()` swaps the whole
 * policy in one assignment, so a decision already running finishes on the policy it started with
 * and a failed load (which throws before `replace`) leaves the running policy in force.
 */
export class DispatchPolicyEngine implements DispatchPolicyEvaluator {
  private current: CompiledPolicy;

  /**
   * @param loadedAt engine-clock time of loading, for `info()`
   * @param source where the policy came from; default the definition's own `source`
   */
  constructor(definition: DispatchPolicyDefinition, loadedAt = 0, source = definition.source) {
    this.current = new CompiledPolicy(definition, source, loadedAt);
  }

  /** The per-level defaults of `DEFAULT_DISPATCH_POLICY` and no rules: what runs without a policy file. */
  static builtIn(loadedAt = 0): DispatchPolicyEngine {
    return new DispatchPolicyEngine(BUILT_IN_POLICY, loadedAt);
  }

  decide(facts: DispatchFacts): Promise<DispatchDecision> {
    // Read once: a replace() while this decision runs does not change the policy it runs on.
    return this.current.decide(facts);
  }

  /**
   * The decision at once when it needs no json-rules-engine run — no rules, or the same facts
   * decided before (see DecisionMemo) — else undefined: call `decide`.
   */
  decideNow(facts: DispatchFacts): DispatchDecision | undefined {
    return this.current.decideNow(facts);
  }

  /** Swaps in another (already checked) policy for every decision started from now on. */
  replace(definition: DispatchPolicyDefinition, loadedAt = 0, source = definition.source): DispatchPolicyInfo {
    // Built completely before the one assignment that swaps it in.
    this.current = new CompiledPolicy(definition, source, loadedAt);
    return this.info();
  }

  /**
   * Loads `path` and swaps it in. Throws ERR_POLICY_INVALID (with file, line and field) on a bad
   * file — before anything is swapped, so the running policy stays in force.
   */
  reload(path: string, loadedAt: number, options: PolicyLoadOptions = {}): DispatchPolicyInfo {
    const definition = loadDispatchPolicyFile(path, options);
    return this.replace(definition, loadedAt);
  }

  info(): DispatchPolicyInfo {
    const { definition, source, loadedAt } = this.current;
    return { source, rules: definition.rules.map((rule) => rule.name), loadedAt };
  }

  /** The running policy as data. */
  definition(): DispatchPolicyDefinition {
    return this.current.definition;
  }
}

/** One definition with its json-rules-engine Engine, built once. */
class CompiledPolicy {
  private readonly engine: Engine;
  private readonly ruleByName = new Map<string, { rule: PolicyRule; index: number }>();
  /**
   * json-rules-engine keeps its run status on the Engine, not per run: when two runs overlap and
   * one finishes, the other skips its remaining priority sets (measured with 7.3.1: rules silently
   * lost). Runs on one Engine are therefore chained. They are CPU-only (facts are plain values),
   * so chaining costs no throughput, only the interleaving that caused the bug.
   */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly memo: DecisionMemo;

  constructor(
    readonly definition: DispatchPolicyDefinition,
    readonly source: string,
    readonly loadedAt: number,
  ) {
    // allowUndefinedFacts stays false: every DispatchFacts field is always present and the loader
    // rejects unknown fact names, so an undefined fact is a bug that should fail loudly.
    this.engine = new Engine([], { allowUndefinedFacts: false, pathResolver: resolveDottedPath });
    this.memo = new DecisionMemo(definition.rules);
    definition.rules.forEach((rule, index) => {
      this.ruleByName.set(rule.name, { rule, index });
      const properties: RuleProperties = {
        name: rule.name,
        priority: rule.priority,
        conditions: rule.when as RuleProperties['conditions'],
        event: { type: 'dispatch' },
      };
      this.engine.addRule(properties);
    });
  }

  decideNow(facts: DispatchFacts): DispatchDecision | undefined {
    if (this.ruleByName.size === 0) return this.defaultsFor(facts);
    return this.memo.get(this.memo.keyOf(facts));
  }

  async decide(facts: DispatchFacts): Promise<DispatchDecision> {
    const decision = this.defaultsFor(facts);
    if (this.ruleByName.size === 0) return decision;
    const key = this.memo.keyOf(facts);
    const known = this.memo.get(key);
    if (known) return known;

    const result = await this.run(facts);
    const matched = result.results
      .map((r) => this.ruleByName.get(r.name)!)
      .sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index)
      .map(({ rule }) => rule);

    const isSet = new Set<keyof PolicyOutcome>();
    let tierUp = 0;
    for (const rule of matched) {
      decision.rules.push(rule.name);
      const then = rule.then;
      for (const party of then.notify ?? []) if (!decision.notify.includes(party)) decision.notify.push(party);
      if (then.tier !== undefined && claim(isSet, 'tier')) decision.tier = then.tier;
      if (then.tierUp !== undefined && claim(isSet, 'tierUp')) tierUp = then.tierUp;
      if (then.priority !== undefined && claim(isSet, 'priority')) decision.priority = then.priority;
      if (then.department !== undefined && claim(isSet, 'department')) decision.department = then.department;
      if (then.respondWithin !== undefined && claim(isSet, 'respondWithin')) decision.respondWithin = then.respondWithin;
      if (then.resolveWithin !== undefined && claim(isSet, 'resolveWithin')) decision.resolveWithin = then.resolveWithin;
      if (then.warnAt !== undefined && claim(isSet, 'warnAt')) decision.warnAt = then.warnAt;
    }
    if (tierUp > 0) decision.tier = TIERS[Math.min(tierRank(decision.tier) + tierUp, TIERS.length - 1)]!;
    this.memo.set(key, decision);
    return decision;
  }

  private defaultsFor(facts: DispatchFacts): DispatchDecision {
    return defaultDecision(this.definition.defaults, facts.level, this.definition.warnAt);
  }


  private run(facts: DispatchFacts): Promise<EngineResult> {
    const run = this.tail.then(() => this.engine.run(facts as unknown as Record<string, unknown>));
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** True the first time a field is claimed: the highest-priority matching rule sets it. */
function claim(isSet: Set<keyof PolicyOutcome>, field: keyof PolicyOutcome): boolean {
  if (isSet.has(field)) return false;
  isSet.add(field);
  return true;
}

const segmentsOf = new Map<string, string[]>();

/**
 * `$.attributes.floor` → facts.subject.attributes.floor. The loader admits only `$.` plus dotted
 * names, so this replaces json-rules-engine's default JSONPath evaluation (jsonpath-plus), which
 * parses the path on every condition of every run. Own properties only: `$.attributes.constructor`
 * is undefined, not Object.
 */
function resolveDottedPath(value: object, path: string): unknown {
  let segments = segmentsOf.get(path);
  if (!segments) {
    segments = path.slice(2).split('.');
    segmentsOf.set(path, segments);
  }
  let current: unknown = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
