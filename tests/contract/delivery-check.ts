import type { Owed } from './sink-workload.js';

/** One announcement as a receiver got it. */
export interface Delivery {
  /** CloudEvent id: `{alertId}:{n}` or `{orderId}:{version}` — what receivers deduplicate on. */
  id: string;
  /** CloudEvent subject: the ordering key. */
  key: string;
  /** CloudEvent type, `riskwatch.alert.opened`, `riskwatch.order.status`, ... */
  type: string;
}

export interface DeliveryRules {
  /**
   * `none`: nothing failed on the way, so every announcement arrives exactly once, per key in commit
   * order. `allowed`: at-least-once — a copy may arrive again (recognisable by its CloudEvent id)
   * when a delivery is redone from a resume point; it must then go on in commit order from there.
   */
  duplicates: 'none' | 'allowed';
}

/**
 * What is wrong with `delivered` (arrival order) against `owed` (commit order), as readable lines;
 * empty when the contract holds:
 *
 * - everything owed arrived, and nothing else did (nothing rolled back, nothing not accepted);
 * - per ordering key, each arrival is the successor of the previous one in commit order — or, where
 *   duplicates are allowed, a step back to an earlier one (a redelivery from a resume point), never
 *   a step forward over one;
 * - per key, the last copy to arrive is the newest version, so a consumer keeping the last state it
 *   saw ends at the state the engine committed last.
 */
export function deliveryViolations(delivered: readonly Delivery[], owed: readonly Owed[], rules: DeliveryRules): string[] {
  const problems: string[] = [];
  /** Per key: its owed ids in commit order; per id: its position there. */
  const owedByKey = new Map<string, string[]>();
  const position = new Map<string, { key: string; index: number }>();
  for (const { id, key } of owed) {
    const ids = owedByKey.get(key) ?? [];
    if (position.has(id)) throw new Error(`the test owes ${id} twice: fix the workload`);
    position.set(id, { key, index: ids.length });
    ids.push(id);
    owedByKey.set(key, ids);
  }

  const copies = new Map<string, number>();
  const arrivalsByKey = new Map<string, number[]>();
  for (const delivery of delivered) {
    copies.set(delivery.id, (copies.get(delivery.id) ?? 0) + 1);
    const at = position.get(delivery.id);
    if (!at) {
      if (copies.get(delivery.id) === 1) problems.push(`${delivery.id} arrived but was never owed (rolled back, not accepted, or unknown)`);
      continue;
    }
    if (at.key !== delivery.key) problems.push(`${delivery.id} arrived under key ${delivery.key}, not ${at.key}`);
    const arrivals = arrivalsByKey.get(at.key) ?? [];
    arrivals.push(at.index);
    arrivalsByKey.set(at.key, arrivals);
  }

  const missing = owed.filter((o) => !copies.has(o.id)).map((o) => o.id);
  if (missing.length > 0) problems.push(`${missing.length} of ${owed.length} never arrived: ${abbreviate(missing)}`);
  if (rules.duplicates === 'none') {
    const again = [...copies].filter(([id, n]) => n > 1 && position.has(id)).map(([id, n]) => `${id} ×${n}`);
    if (again.length > 0) problems.push(`arrived more than once although nothing failed: ${abbreviate(again)}`);
  }

  for (const [key, arrivals] of arrivalsByKey) {
    const ids = owedByKey.get(key)!;
    let previous = -1;
    for (const index of arrivals) {
      const after = previous < 0 ? 'first' : `after ${ids[previous]}`;
      if (index > previous + 1) {
        problems.push(`key ${key}: ${ids[index]} arrived ${after}, ahead of ${ids[previous + 1]} (out of commit order)`);
      } else if (index <= previous && rules.duplicates === 'none') {
        problems.push(`key ${key}: ${ids[index]} arrived again ${after}`);
      }
      previous = index;
    }
    if (previous !== ids.length - 1 && arrivals.length > 0) {
      problems.push(`key ${key}: the last copy to arrive is ${ids[previous]}, not the newest ${ids[ids.length - 1]}`);
    }
  }
  return problems;
}

/** How many of `owed` have arrived at least once. */
export function arrivedCount(delivered: readonly Delivery[], owed: readonly Owed[]): number {
  const seen = new Set(delivered.map((d) => d.id));
  return owed.filter((o) => seen.has(o.id)).length;
}

/** A Delivery from a structured-mode CloudEvent (the bytes every sink carries). */
export function deliveryOf(cloudEventJson: string): Delivery {
  const event = JSON.parse(cloudEventJson) as { id: string; subject: string; type: string };
  return { id: event.id, key: event.subject, type: event.type };
}

function abbreviate(items: readonly string[], max = 12): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} … (+${items.length - max})`;
}
