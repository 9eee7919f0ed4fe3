import { LEVELS } from '../contracts/level.js';
import { DURATION_PATTERN, formatDuration } from '../core/duration.js';
import { ID_PATTERN } from '../registry/registry-schema.js';
import { DISPATCH_FACT_NAMES } from './dispatch-facts.js';
import { DEFAULT_REMIND_EVERY } from './default-policy.js';
import { DEFAULT_WARN_AT } from './policy-definition.js';

/**
 * The YAML form of a dispatch policy (`rules/dispatch/policy.yaml`) as JSON Schema draft 2020-12.
 * The single source of truth: `schemas/dispatch-policy.schema.json` is a copy (a test keeps them
 * equal) that editors use for completion and inline validation. What a schema cannot say — paths
 * into object facts, operator and value types, unique rule names, departments — `policy-file.ts`
 * checks after it.
 */

/** A deadline: a span (`15m`, `2h`, `24h`, `7d`, the grammar of `core/duration.ts`) or `N working days` (Chinese calendar). */
export const DEADLINE_PATTERN = `^(?:${DURATION_PATTERN.slice(1, -1)}|[1-9]\\d* working days?)$`;
export const WORKING_DAYS = /^([1-9]\d*) working days?$/;

/** json-rules-engine's built-in operators (engine-default-operators.js, 7.3.1). */
export const POLICY_OPERATORS = [
  'equal', 'notEqual', 'in', 'notIn', 'contains', 'doesNotContain',
  'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive',
] as const;
/** json-rules-engine's operator decorators, written before the operator: `not:in`, `someFact:equal`. */
export const POLICY_OPERATOR_DECORATORS = ['someFact', 'someValue', 'everyFact', 'everyValue', 'swap', 'not'] as const;
export const OPERATOR_PATTERN = `^(?:(?:${POLICY_OPERATOR_DECORATORS.join('|')}):)*(?:${POLICY_OPERATORS.join('|')})$`;

/** A path into an object fact: `$.` and dotted names (`$.livingAlone`, `$.attributes.floor`). */
export const FACT_PATH_PATTERN = '^\\$(?:\\.[A-Za-z_][A-Za-z0-9_]*)+$';
export const RULE_NAME_PATTERN = '^[a-z0-9][a-z0-9-]*$';
/** Someone informed besides the assignee: `leadership`, `community`, `fire_brigade`. */
export const PARTY_PATTERN = '^[a-z][a-z0-9_-]*$';

const TIERS = ['grid', 'community', 'street'] as const;

const levelDefaults = (level: string) => ({ $ref: '#/$defs/levelDefaults', description: `What a ${level} alert's order gets when no rule says otherwise.` });

export const dispatchPolicySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:riskwatch:schema:dispatch-policy:v1',
  title: 'riskwatch dispatch policy',
  description:
    'How alerts become dispatch orders (派单): per-level defaults (tier, priority, deadlines, who is informed) and ' +
    'operator-editable rules evaluated per alert with json-rules-engine. When several matching rules set the same field, ' +
    'the one with the highest priority wins (equal priority: the one written first); notify lists add up.',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'defaults'],
  properties: {
    version: { type: 'integer', const: 1, description: 'Format version of this file; 1.' },
    defaults: {
      type: 'object',
      description: 'Per alert level: the order an alert of that level gets when no rule says otherwise. All four levels.',
      additionalProperties: false,
      required: [...LEVELS],
      properties: Object.fromEntries(LEVELS.map((level) => [level, levelDefaults(level)])),
    },
    warnAt: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: DEFAULT_WARN_AT,
      description: 'Fraction of every deadline\'s span at which a warning goes out (0.8: at 80 %); 0 = no warnings.',
    },
    rules: {
      type: ['array', 'null'],
      description: 'Rules evaluated for every alert that creates, escalates or re-routes an order; names must be unique.',
      items: { $ref: '#/$defs/rule' },
    },
  },
  $defs: {
    deadline: {
      type: 'string',
      description: 'A span (15m, 2h, 24h, 1h30m, 7d — calendar time) or working days in the Chinese calendar (1 working day, 3 working days).',
      pattern: DEADLINE_PATTERN,
    },
    tier: { type: 'string', enum: [...TIERS], description: 'Handling tier: grid < community < street.' },
    priority: { type: 'integer', minimum: 1, maximum: 4, description: "The order's priority, 1 (blue) .. 4 (red)." },
    notify: {
      type: 'array',
      description: 'Parties informed besides the assignee, e.g. leadership, community.',
      uniqueItems: true,
      items: { type: 'string', pattern: PARTY_PATTERN, description: 'One party: lowercase letters, digits, - and _.' },
    },
    levelDefaults: {
      type: 'object',
      description: 'Tier, priority, deadlines, reminders at the top of the ladder and parties informed for one alert level.',
      additionalProperties: false,
      required: ['tier', 'priority', 'respondWithin', 'resolveWithin'],
      properties: {
        tier: { $ref: '#/$defs/tier', description: 'Tier whose office handles the order.' },
        priority: { $ref: '#/$defs/priority', description: "The order's priority." },
        notify: { $ref: '#/$defs/notify', description: 'Parties informed besides the assignee; default none.' },
        respondWithin: { $ref: '#/$defs/deadline', description: 'Deadline to accept the order.' },
        resolveWithin: { $ref: '#/$defs/deadline', description: 'Deadline to resolve it.' },
        remindEvery: {
          type: 'string',
          pattern: DURATION_PATTERN,
          default: formatDuration(DEFAULT_REMIND_EVERY),
          description:
            'Once a missed deadline has taken the order to the top of the supervision ladder (leadership), remind at most this often ' +
            '(30m, 1h, 4h): the next reminder falls this long after the miss, or the deadline\'s own span later if that is longer. ' +
            'No warning precedes a reminder.',
        },
      },
    },
    rule: {
      type: 'object',
      description: 'When the conditions hold for an alert, set the fields in then.',
      additionalProperties: false,
      required: ['name', 'when', 'then'],
      properties: {
        name: {
          type: 'string',
          pattern: RULE_NAME_PATTERN,
          maxLength: 64,
          description: 'Unique name: lowercase letters, digits and dashes. Orders list the rules that routed them.',
        },
        description: { type: 'string', description: 'Why the rule exists.' },
        priority: {
          type: 'integer',
          minimum: 1,
          default: 1,
          description: 'Evaluation priority (json-rules-engine): higher runs first and wins a field another matching rule also sets.',
        },
        when: { $ref: '#/$defs/booleanCondition', description: 'json-rules-engine conditions over the dispatch facts; the top level is all, any or not.' },
        then: { $ref: '#/$defs/outcome', description: 'Fields of the decision this rule sets.' },
      },
    },
    outcome: {
      type: 'object',
      description: 'Fields of the dispatch decision a matching rule sets; at least one.',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        tier: { $ref: '#/$defs/tier', description: "Tier whose office handles the order, instead of the level's." },
        tierUp: {
          type: 'integer',
          minimum: 1,
          maximum: 2,
          description: 'Raise the decided tier by this many steps (grid → community → street, capped at street), e.g. for repeated risk.',
        },
        priority: { $ref: '#/$defs/priority', description: "The order's priority, instead of the level's." },
        notify: { $ref: '#/$defs/notify', description: "Parties informed, added to the level's list (never replacing it)." },
        department: { type: 'string', pattern: ID_PATTERN, description: 'A department id from the registry (gas-company, fire-station, ...).' },
        respondWithin: { $ref: '#/$defs/deadline', description: 'Deadline to accept the order.' },
        resolveWithin: { $ref: '#/$defs/deadline', description: 'Deadline to resolve it.' },
        warnAt: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'Deadline warning at this fraction of each span; 0 = none.' },
      },
    },
    condition: {
      type: 'object',
      description: 'A fact condition ({ fact, operator, value }) or a boolean one ({ all: [...] }, { any: [...] }, { not: {...} }).',
      if: { required: ['fact'] },
      then: { $ref: '#/$defs/factCondition' },
      else: { $ref: '#/$defs/booleanCondition' },
    },
    booleanCondition: {
      type: 'object',
      description: 'Exactly one of all (every condition holds), any (at least one holds) or not (the condition does not hold).',
      additionalProperties: false,
      properties: {
        all: { type: 'array', minItems: 1, items: { $ref: '#/$defs/condition' }, description: 'Holds when every condition holds.' },
        any: { type: 'array', minItems: 1, items: { $ref: '#/$defs/condition' }, description: 'Holds when at least one condition holds.' },
        not: { $ref: '#/$defs/condition', description: 'Holds when this condition does not.' },
        name: { type: 'string', description: 'Label shown in json-rules-engine results.' },
        priority: { type: 'integer', minimum: 1, description: 'Evaluation order among siblings (json-rules-engine).' },
      },
      oneOf: [{ required: ['all'] }, { required: ['any'] }, { required: ['not'] }],
    },
    factCondition: {
      type: 'object',
      description: 'Compares one dispatch fact (or a field of it, with path) with a value.',
      additionalProperties: false,
      required: ['fact', 'operator', 'value'],
      properties: {
        fact: { type: 'string', enum: [...DISPATCH_FACT_NAMES], description: 'A dispatch fact (see rules/README.md).' },
        operator: {
          type: 'string',
          pattern: OPERATOR_PATTERN,
          description: `A json-rules-engine operator (${POLICY_OPERATORS.join(', ')}), optionally decorated: not:in, someFact:equal.`,
        },
        value: { description: 'The value compared with, or { fact, path } to compare with another fact.' },
        path: { type: 'string', pattern: FACT_PATH_PATTERN, description: 'Field of an object fact: $.livingAlone, $.age, $.tags, $.attributes.floor, $.kind.' },
        name: { type: 'string', description: 'Label shown in json-rules-engine results.' },
        priority: { type: 'integer', minimum: 1, description: 'Evaluation order among siblings (json-rules-engine).' },
      },
    },
  },
} as const;

/** A policy file as written (YAML field names), after schema validation. */
export interface DispatchPolicyDocument {
  version: 1;
  defaults: Record<(typeof LEVELS)[number], LevelDefaultsDocument>;
  warnAt?: number;
  rules?: RuleDocument[] | null;
}

export interface LevelDefaultsDocument {
  tier: (typeof TIERS)[number];
  priority: number;
  notify?: string[];
  respondWithin: string;
  resolveWithin: string;
  remindEvery?: string;
}

export interface RuleDocument {
  name: string;
  description?: string;
  priority?: number;
  when: Record<string, unknown>;
  then: {
    tier?: (typeof TIERS)[number];
    tierUp?: number;
    priority?: number;
    notify?: string[];
    department?: string;
    respondWithin?: string;
    resolveWithin?: string;
    warnAt?: number;
  };
}
