import { ERR_VALIDATION } from '../core/errors.js';

/**
 * Querystring values after schema validation: lists arrive comma-separated (`level=red,orange`),
 * instants as epoch milliseconds or RFC 3339 (the same two forms devices use for `ts`).
 */

/** `"red,orange"` → `['red', 'orange']`; undefined stays undefined. The schema has checked each item. */
export function splitList<T extends string>(value: string | undefined): T[] | undefined {
  return value === undefined ? undefined : (value.split(',') as T[]);
}

/** A regex for a comma-separated list of `values`, for a querystring schema `pattern`. */
export function listPattern(values: readonly string[]): string {
  const one = `(?:${values.join('|')})`;
  return `^${one}(?:,${one})*$`;
}

/** Epoch ms (`"1732300000000"`) or RFC 3339 (`"2024-11-22T18:26:40Z"`) → epoch ms. */
export function parseInstant(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^[0-9]+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(ms)) throw ERR_VALIDATION(`querystring/${field} is not a valid instant`);
  return ms;
}
