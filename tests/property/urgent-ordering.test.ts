import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../src/contracts/alert.js';
import type { OrderChange } from '../../src/contracts/order.js';
import { ManualScheduler } from '../../src/core/manual-scheduler.js';
import { GroupCommit, type PendingChange } from '../../src/engine/group-commit.js';
import { OutboxRelay, type RelayEntry } from '../../src/sinks/mqtt-relay.js';
import { openStore } from '../../src/store/store.js';
import { makeAlert, makeOrder } from '../helpers/store-fixtures.js';
import { useTempDir } from '../helpers/temp-dir.js';

/**
 * Urgent changes (an alert opened or escalated, an order created or escalated) overtake routine
 * ones of other keys, in the group commit and in the MQTT relay. The invariants, over any
 * interleaving of keys and urgencies: per key, commit and delivery follow staging order; nothing
 * is lost; and an urgent change never waits behind a routine change of another key.
 */

/** A step of a workload: key k changes, urgently or not. */
const step = fc.record({ key: fc.integer({ min: 0, max: 5 }), urgent: fc.boolean() });

describe('urgent changes overtake routine ones, never within a key (property)', () => {
  const dir = useTempDir('rw-prop-urgent-');

  it('group commit: per alert and per order, commit order is staging order; urgent ones go before routine ones of other keys', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 25 }), (steps, maxChanges) => {
        const store = openStore(dir());
        const committed: PendingChange[][] = [];
        const yielded: Array<() => void> = [];
        const commits = new GroupCommit({
          store, sinks: [], now: () => 0, budget: { maxChanges }, yieldTo: (next) => yielded.push(next),
          onCommitted: (c) => committed.push(c), onError: (e) => { throw e; },
        });
        const versions = new Map<number, number>();
        steps.forEach(({ key, urgent }, i) => {
          const version = (versions.get(key) ?? 0) + 1;
          versions.set(key, version);
          const alert = makeAlert({ id: `a${key}`, key: `k${key}`, summary: `${i}` });
          const type: AlertTransition = urgent ? 'escalated' : 'cleared';
          const change: OrderChange = urgent ? 'escalated' : 'status';
          commits.stage({ event: { type, alert, at: i }, update: { order: makeOrder({ id: `o${key}`, alertId: `a${key}`, version }), change } });
        });
        while (yielded.length > 0) yielded.shift()!();
        const all = committed.flat();
        expect(all).toHaveLength(steps.length);
        // Per key: versions ascend in commit order.
        const seen = new Map<string, number>();
        for (const c of all) {
          const { id, version } = c.update!.order;
          expect(version).toBeGreaterThan(seen.get(id) ?? 0);
          seen.set(id, version);
        }
        // Everything here was staged before the first commit, so an urgent change with no routine
        // change of its key before it is committed before every routine change staged before it.
        const position = new Map(all.map((c, i) => [c.event!.alert.summary, i]));
        steps.forEach(({ key, urgent }, i) => {
          if (!urgent || steps.slice(0, i).some((s) => s.key === key && !s.urgent)) return;
          steps.slice(0, i).forEach((s, j) => {
            if (!s.urgent) expect(position.get(`${i}`)!).toBeLessThan(position.get(`${j}`)!);
          });
        });
        store.close();
      }),
      { numRuns: 60 },
    );
  });

  it('relay: per key, the last copy each receiver sees is the newest, across refusals; nothing is lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        async (commitsOfSteps, refusals, window) => {
          const store = openStore(dir());
          const scheduler = new ManualScheduler(0);
          const received: string[] = [];
          let call = 0;
          const relay = new OutboxRelay({
            outbox: store.outbox, scheduler, retryBaseMs: 10, retryMaxMs: 10, window,
            publish: async (_topic, payload) => {
              // Refuse as the schedule says, then accept everything (a broker that comes back).
              if (refusals[call++] === true) throw new Error('refused');
              received.push(payload);
            },
          });
          relay.kick();
          await relay.whenIdle();
          const versions = new Map<number, number>();
          const urgentOf = new Map<string, boolean>();
          for (const steps of commitsOfSteps) {
            const entries: RelayEntry[] = store.db.transaction(() => steps.map(({ key, urgent }) => {
              const version = (versions.get(key) ?? 0) + 1;
              versions.set(key, version);
              const payload = `k${key}:${version}`;
              urgentOf.set(payload, urgent);
              const id = store.outbox.append({ topic: `t/${key}`, payload, qos: 1, orderingKey: `k${key}` }, 0);
              return { id, topic: `t/${key}`, payload, qos: 1 as const, retain: false, key: `k${key}`, urgent };
            }))();
            relay.committed(entries);
          }
          for (let i = 0; i < 200 && (store.outbox.countPending() > 0 || call < refusals.length); i++) {
            await relay.whenIdle();
            scheduler.advanceBy(10);
          }
          await relay.whenIdle();
          expect(store.outbox.countPending()).toBe(0);
          // Everything arrived, and per key the last copy of each version comes after the last
          // copy of every earlier version: a consumer keeping the newest ends with the newest.
          const lastIndex = new Map<string, number>();
          received.forEach((payload, i) => lastIndex.set(payload, i));
          for (const [key, newest] of versions) {
            for (let v = 1; v <= newest; v++) expect(lastIndex.has(`k${key}:${v}`)).toBe(true);
            for (let v = 2; v <= newest; v++) expect(lastIndex.get(`k${key}:${v}`)!).toBeGreaterThan(lastIndex.get(`k${key}:${v - 1}`)!);
          }
          relay.stop();
          store.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('relay: with the window full of routine entries, an urgent entry of another key is sent before the routine ones queued behind', async () => {
    const store = openStore(dir());
    const scheduler = new ManualScheduler(0);
    const sent: string[] = [];
    const release: Array<() => void> = [];
    const relay = new OutboxRelay({
      outbox: store.outbox, scheduler, window: 4,
      publish: (_topic, payload) => {
        sent.push(payload);
        return new Promise<void>((resolve) => release.push(resolve));
      },
    });
    relay.kick();
    await relay.whenIdle();
    const commit = (payload: string, key: string, urgent: boolean) => {
      const id = store.outbox.append({ topic: 't', payload, qos: 1, orderingKey: key }, 0);
      relay.committed([{ id, topic: 't', payload, qos: 1, retain: false, key, urgent }]);
    };
    for (let i = 0; i < 10; i++) commit(`clear${i}`, `c${i}`, false);
    commit('leak', 'new', true);
    commit('clear0-again', 'c0', false);
    commit('escalation-of-c9', 'c9', true); // waits: c9 has a routine entry queued
    expect(sent).toEqual(['clear0', 'clear1', 'clear2', 'clear3', 'leak']); // the window, and the urgent one at once
    while (release.length > 0) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(sent.slice(5)).toEqual(['clear4', 'clear5', 'clear6', 'clear7', 'clear8', 'clear9', 'clear0-again', 'escalation-of-c9']);
    relay.stop();
    store.close();
  });
});
