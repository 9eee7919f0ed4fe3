import { LEVELS, type Level } from '../contracts/level.js';
import type { ScenarioDocument, ScenarioProblem } from '../contracts/model.js';
import type { LevelMap } from '../contracts/scenario.js';
import { formatDuration, isDuration, parseDuration } from '../core/duration.js';

/**
 * Helpers the model definitions share for reading and checking their fields of a scenario file
 * (after the schema check, so shapes hold where the schema states them; values that failed the
 * schema are skipped here, the schema reports them).
 */

/** 24-hour time of day, `00:00`–`23:59`. */
export { TIME_OF_DAY_PATTERN } from '../core/local-time.js';

/** A metric name is a CEL identifier, so that `metrics.<name>` works for every metric. */
export const METRIC_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

/** A level map in ladder order (blue → red), each value converted: two normalised scenarios diff cleanly. */
export function mapLevels<T, U>(map: unknown, convert: (value: T) => U): LevelMap<U> {
  const out: LevelMap<U> = {};
  if (!isObject(map)) return out;
  for (const level of LEVELS) {
    const value = map[level] as T | undefined;
    if (value !== undefined) out[level] = convert(value);
  }
  return out;
}

/** `levels` of a duration model (offline, inactivity), in milliseconds. */
export function durationLevels(doc: ScenarioDocument): LevelMap<number> {
  return mapLevels<string, number>(doc.levels, parseDuration);
}

/** An optional duration field in ms, its default when absent. */
export function durationField(doc: ScenarioDocument, field: string, fallback: string): number {
  const value = doc[field];
  return parseDuration(typeof value === 'string' ? value : fallback);
}

/**
 * A higher level is reached later: the durations of a duration model's `levels` must be positive
 * and grow with the level, or a level would be skipped or never reached.
 */
export function growingDurations(doc: ScenarioDocument): ScenarioProblem[] {
  const levels = doc.levels;
  if (!isObject(levels)) return [];
  const found: ScenarioProblem[] = [];
  let previous: { level: Level; ms: number } | undefined;
  for (const level of LEVELS) {
    const text = levels[level];
    if (typeof text !== 'string' || !isDuration(text)) continue;
    const ms = parseDuration(text);
    if (ms <= 0) {
      found.push({ path: ['levels', level], message: 'must be longer than 0' });
      continue;
    }
    if (previous && ms <= previous.ms) {
      found.push({
        path: ['levels', level],
        message: `${formatDuration(ms)} must be longer than levels.${previous.level} (${formatDuration(previous.ms)}): durations must increase with the level`,
      });
    }
    previous = { level, ms };
  }
  return found;
}

/** A duration field that must be longer than 0 (a zero window or gap makes no sense). */
export function positiveDuration(doc: ScenarioDocument, path: (string | number)[]): ScenarioProblem[] {
  let value: unknown = doc;
  for (const segment of path) value = isObject(value) ? value[segment] : undefined;
  return typeof value === 'string' && isDuration(value) && parseDuration(value) <= 0 ? [{ path, message: 'must be longer than 0' }] : [];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON Schema of a per-level map (`for`, `reset`, a kind's `levels`): the four levels, each with
 * `value`'s schema and its description suffixed with the level, nothing else.
 */
export function levelMapSchema(description: string, value: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    description,
    properties: Object.fromEntries(LEVELS.map((level) => [level, { ...value, description: `${value.description as string} (${level})` }])),
    additionalProperties: false,
  };
}
