/**
 * `values` as a readonly tuple, checked at compile time to list every member of the union `U`
 * (`satisfies readonly U[]` only checks the other direction). A status or change kind added to a
 * contract then fails the build where a schema enumerates them, until the schema — and so the
 * API's serialiser and the published files — know it.
 *
 *     export const TIERS = everyOf<Tier>()(['grid', 'community', 'street']);
 */
export function everyOf<U extends string>() {
  return <const V extends readonly U[]>(
    values: V & ([Exclude<U, V[number]>] extends [never] ? unknown : { missing: Exclude<U, V[number]> }),
  ): V => values;
}
