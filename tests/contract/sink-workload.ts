import type { Alert, AlertEvent, AlertTransition } from '../../src/contracts/alert.js';
import type { Level } from '../../src/contracts/level.js';
import type { SinkInput } from '../../src/contracts/sink.js';
import type { PendingChange } from '../../src/engine/group-commit.js';
import { T0, makeAlert, makeOrder } from '../helpers/store-fixtures.js';

/** One announcement a sink owes its receiver: the CloudEvent id and the ordering key it goes under. */
export interface Owed {
  id: string;
  /** The ordering key: the alert id or the order id (the CloudEvent subject). */
  key: string;
  kind: 'alert' | 'order';
}

/**
 * Changes as the engine stages them, each key changing many times: the n-th change of an alert is
 * announced as `{alertId}:{n}` (its history length), the v-th version of an order as
 * `{orderId}:{v}` — the ids of src/sinks/announcements.ts. Alert and order ids never collide.
 */
export class Workload {
  private readonly orderVersions = new Map<string, number>();
  private readonly alertChanges = new Map<string, Alert>();
  private broken = 0;

  /** The next version of order `id` (`created` first, then `status`: one message per version on every sink). */
  order(id: string): PendingChange {
    const version = (this.orderVersions.get(id) ?? 0) + 1;
    this.orderVersions.set(id, version);
    const updatedAt = T0 + version * 1_000;
    const order = makeOrder({ id, alertId: `alert-of-${id}`, version, updatedAt, summary: `${id} version ${version}` });
    return { update: { order, change: version === 1 ? 'created' : 'status' } };
  }

  /** The next change of alert `id`: opened, then escalated and de-escalated in turn. */
  alert(id: string): PendingChange {
    return { event: this.nextAlertEvent(id) };
  }

  /** An alert change and an order version in one change (an alert opening with its order). */
  both(alertId: string, orderId: string): PendingChange {
    return { event: this.nextAlertEvent(alertId), update: this.order(orderId).update! };
  }

  /** A change the store refuses (alerts.place_id is NOT NULL): the transaction holding it rolls back. */
  refused(): PendingChange {
    const alert = makeAlert({ id: `alert-refused-${++this.broken}`, placeId: null as unknown as string });
    return { event: { type: 'opened', alert, to: alert.level, at: T0 } };
  }

  private nextAlertEvent(id: string): AlertEvent {
    const previous = this.alertChanges.get(id);
    const n = (previous?.history.length ?? 0) + 1;
    const type: AlertTransition = n === 1 ? 'opened' : n % 2 === 0 ? 'escalated' : 'deescalated';
    const from: Level | undefined = previous?.level;
    const to: Level = type === 'escalated' ? 'red' : 'orange';
    const at = T0 + n * 1_000;
    const history = [...(previous?.history ?? []), { at, type, ...(from ? { from } : {}), to, summary: `${id} change ${n}` }];
    const alert = makeAlert({ id, key: id, level: to, peakLevel: 'red', updatedAt: at, history });
    this.alertChanges.set(id, alert);
    return { type, alert, ...(from ? { from } : {}), to, at };
  }
}

/** What a sink accepting `accepts` owes for `committed` changes, in commit order. */
export function owedFor(committed: readonly PendingChange[], accepts: ReadonlySet<SinkInput>): Owed[] {
  const owed: Owed[] = [];
  for (const change of committed) {
    if (change.event && accepts.has('alerts')) {
      const { alert } = change.event;
      owed.push({ id: `${alert.id}:${alert.history.length}`, key: alert.id, kind: 'alert' });
    }
    if (change.update && accepts.has('orders')) {
      const { order } = change.update;
      owed.push({ id: `${order.id}:${order.version}`, key: order.id, kind: 'order' });
    }
  }
  return owed;
}

/** Every CloudEvent id `changes` would announce to a sink accepting everything (e.g. to name what was rolled back). */
export function announcedIds(changes: readonly PendingChange[]): Set<string> {
  return new Set(owedFor(changes, new Set<SinkInput>(['alerts', 'orders'])).map((o) => o.id));
}

/** A small deterministic PRNG (mulberry32): interleavings differ per seed and repeat per run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `count` changes over `orders` orders and `alerts` alerts, interleaved at random (seeded): an
 * order version alone, an alert change alone, or both in one change.
 */
export function interleaved(workload: Workload, count: number, keys: { orders: number; alerts: number; prefix?: string }, random: () => number): PendingChange[] {
  const prefix = keys.prefix ?? '';
  const pick = (n: number) => Math.floor(random() * n);
  const changes: PendingChange[] = [];
  for (let i = 0; i < count; i++) {
    const orderId = `order-${prefix}${pick(keys.orders)}`;
    const alertId = `alert-${prefix}${pick(keys.alerts)}`;
    const roll = keys.alerts === 0 ? 0 : random();
    changes.push(roll < 0.55 ? workload.order(orderId) : roll < 0.8 ? workload.alert(alertId) : workload.both(alertId, orderId));
  }
  return changes;
}

/** The keys the kill -9 test's changes go over. */
export const KILL_TEST_KEYS = { orders: 5, alerts: 3 } as const;

/**
 * `batches` transactions of `perBatch` interleaved changes, the same for the same seed: the process
 * the suite kills commits them, and the suite works out from the seed what it committed.
 */
export function seededBatches(seed: number, batches: number, perBatch: number): PendingChange[][] {
  const random = seededRandom(seed);
  const workload = new Workload();
  return Array.from({ length: batches }, () => interleaved(workload, perBatch, KILL_TEST_KEYS, random));
}
