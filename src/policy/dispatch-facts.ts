import type { Alert } from '../contracts/alert.js';
import type { DispatchFacts } from '../contracts/dispatch.js';
import { LEVELS } from '../contracts/level.js';
import { deviceTypeNames } from '../catalogue/device-catalogue.js';
import type { DeviceContext } from '../contracts/registry.js';
import { levelRank } from '../core/levels.js';
import { localClock, workingDayAt } from '../core/local-time.js';

export { localClock } from '../core/local-time.js';

export interface DispatchFactsInput {
  alert: Alert;
  ctx: DeviceContext;
  /** The instant of the decision (engine clock), for local time of day and the working-day calendar. */
  at: number;
  /** Unfinished orders of the alert's subject, the order being decided excluded. */
  openOrdersOfSubject: number;
  /** Places / departments that rejected this order before. */
  rejectedBy: string[];
}

/**
 * The facts the dispatch policy decides from, for one alert. Built from the alert and the device's
 * registry context only: the subject contributes its id, kind, livingAlone, age, tags and
 * attributes — never `personal` (policies are written by operators and their decisions are logged;
 * the registry already refuses personal-looking keys in `attributes`).
 */
export function dispatchFacts(input: DispatchFactsInput): DispatchFacts {
  const { alert, ctx, at } = input;
  const clock = localClock(at, ctx.timeZone);
  const subject = ctx.subject;
  return {
    level: alert.level,
    levelRank: levelRank(alert.level),
    scenarioId: alert.scenarioId,
    category: alert.category,
    deviceType: ctx.device.type,
    subject: subject
      ? {
          id: subject.id,
          kind: subject.kind,
          livingAlone: subject.livingAlone,
          age: subject.age ?? null,
          tags: [...subject.tags],
          attributes: subject.attributes,
        }
      : { id: null, kind: null, livingAlone: false, age: null, tags: [], attributes: {} },
    place: {
      id: ctx.place.id,
      kind: ctx.place.kind,
      gridId: ctx.grid?.id ?? null,
      communityId: ctx.community?.id ?? null,
      streetId: ctx.street?.id ?? null,
    },
    localHour: clock.hour,
    localMinutes: clock.hour * 60 + clock.minute,
    weekday: clock.weekday,
    workingDay: workingDayAt(at, ctx.timeZone),
    openOrdersOfSubject: input.openOrdersOfSubject,
    rejectedBy: [...input.rejectedBy],
  };
}

// --- the fact catalogue: what a policy may name, and what each fact holds -------------------------

/** What a fact (or a field of an object fact) holds, for checking conditions at load time. */
export type FactSpec =
  | { type: 'string'; nullable?: boolean }
  | { type: 'enum'; values: readonly string[]; nullable?: boolean }
  | { type: 'number'; min?: number; max?: number; nullable?: boolean }
  | { type: 'boolean' }
  | { type: 'strings' }
  /** Free-form (subject attributes): any value, any nested path. */
  | { type: 'any' }
  | { type: 'object'; fields: Readonly<Record<string, FactSpec>> };

const ID: FactSpec = { type: 'string', nullable: true };

/**
 * Every DispatchFacts field with its type. The policy loader checks fact names, paths, operators
 * and values against it, so a typo (`levle`, `$.livingalone`, `deviceType: gas_metre`) is a load
 * error instead of a rule that silently never matches. `satisfies` keeps it in step with the
 * contract: a new DispatchFacts field does not compile until it is described here.
 */
export const DISPATCH_FACT_SPECS = {
  level: { type: 'enum', values: LEVELS },
  levelRank: { type: 'number', min: 1, max: 4 },
  scenarioId: { type: 'string' },
  category: { type: 'string' },
  // The types of the device catalogue (catalogue/device-types.yaml).
  deviceType: { type: 'enum', values: deviceTypeNames() },
  subject: {
    type: 'object',
    fields: {
      id: ID,
      kind: { type: 'enum', values: ['household', 'person'], nullable: true },
      livingAlone: { type: 'boolean' },
      age: { type: 'number', min: 0, max: 150, nullable: true },
      tags: { type: 'strings' },
      attributes: { type: 'any' },
    },
  },
  place: {
    type: 'object',
    fields: {
      id: { type: 'string' },
      kind: { type: 'enum', values: ['street', 'community', 'grid'] },
      gridId: ID,
      communityId: ID,
      streetId: ID,
    },
  },
  localHour: { type: 'number', min: 0, max: 23 },
  localMinutes: { type: 'number', min: 0, max: 1439 },
  weekday: { type: 'number', min: 1, max: 7 },
  workingDay: { type: 'boolean' },
  openOrdersOfSubject: { type: 'number', min: 0 },
  rejectedBy: { type: 'strings' },
} as const satisfies Record<keyof DispatchFacts, FactSpec>;

export const DISPATCH_FACT_NAMES = Object.keys(DISPATCH_FACT_SPECS) as (keyof DispatchFacts)[];
