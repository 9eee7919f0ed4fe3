import type { ModelDefinition } from '../contracts/model.js';
import type { ModelKind } from '../contracts/scenario.js';
import { inactivity } from './inactivity.js';
import { offline } from './offline.js';
import { threshold } from './threshold.js';

/**
 * Every model kind the engine runs, by name (Kapacitor's handler registry; STYLE.md 16). The
 * scenario schema, the loader's checks, normalisation and the engine iterate over it: a new kind
 * is one file in models/ exporting its `ModelDefinition`, and its line here.
 */
export const MODEL_KINDS = { threshold, inactivity, offline } as const satisfies { [K in ModelKind]: ModelDefinition<K> };

/** The kinds' names, in the order the schema lists them. */
export const MODEL_NAMES = Object.keys(MODEL_KINDS) as ModelKind[];

/** The definition of `kind`, or undefined for a name no model has. */
export function modelDefinition(kind: unknown): ModelDefinition | undefined {
  return typeof kind === 'string' && Object.hasOwn(MODEL_KINDS, kind) ? (MODEL_KINDS[kind as ModelKind] as unknown as ModelDefinition) : undefined;
}
