import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnManaged } from '../../bench/peers/managed-process.js';
import type { Sink, SinkInput } from '../../src/contracts/sink.js';
import { ManualScheduler } from '../../src/core/manual-scheduler.js';
import { GroupCommit, type PendingChange } from '../../src/engine/group-commit.js';
import { openStore, type Store } from '../../src/store/store.js';
import { T0 } from '../helpers/store-fixtures.js';
import { createTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { arrivedCount, deliveryViolations, type Delivery } from './delivery-check.js';
import type { ChildSinkArgs } from './sink-builders.js';
import { Workload, announcedIds, interleaved, owedFor, seededBatches, seededRandom, type Owed } from './sink-workload.js';
import { nextTurn, until, within } from './wait.js';

/**
 * The Sink contract (src/contracts/sink.ts), written once and run against every sink kind with a
 * real receiver of that kind (STYLE.md item 12, after MQTT.js `abstract_store`; the model is
 * tests/integration/broker/describe-bus.ts). The suite drives a sink the way the engine does —
 * through the group commit over a real SQLite store — and judges only what the receiver got.
 */

/** A sink kind and its real receiver, as one test file sets them up. */
export interface SinkHarness {
  /** What this kind takes, as documented (sinks/sink-kinds.ts): `sink.accepts` must say the same. */
  readonly accepts: readonly SinkInput[];
  /** Starts the receiver — and whatever stands between the sink and it — for one test. */
  setUp(context: HarnessContext): Promise<SinkRig>;
}

export interface HarnessContext {
  /** The engine clock the sinks are built on. The suite advances it to fire a relay's retry timers. */
  scheduler: ManualScheduler;
  /** Called the moment an announcement reaches the receiver, whether or not the receiver accepts it. */
  onArrival(delivery: Delivery): void;
  /** Something the harness saw that breaks the contract or the set-up (a bad signature, a bus that never opened). */
  onProblem(problem: string): void;
}

/** One test's receiver, and how to build sinks that deliver to it. */
export interface SinkRig {
  /** A sink as a process starting over `store` builds it, wired to this receiver; cold (not started). */
  makeSink(store: Store): Promise<SinkUnderTest>;
  /** What the receiver accepted (an MQTT message, a webhook answered 2xx, an SSE event), in arrival order. */
  delivered(): readonly Delivery[];
  /** The receiver stops taking deliveries: the broker is down, the endpoint holds or refuses, the client stops reading. */
  stall(): Promise<void>;
  /** The receiver takes deliveries again. */
  recover(): Promise<void>;
  /** How another process builds a sink delivering to this receiver (see sink-process.ts). */
  childArgs(): ChildSinkArgs;
  tearDown(): Promise<void>;
}

export interface SinkUnderTest {
  sink: Sink;
  /** The CloudEvent ids the store holds for this sink (outbox rows, order log entries), delivered or not. */
  durableIds(): string[];
  /** Every delivery the receiver has is acknowledged back to the sink (PUBACK, 2xx); always true for a sink the receiver pulls from. */
  settled(): boolean;
  /** Releases what the process held besides the sink — its bus connection, its HTTP server — as a process that ends does. */
  release(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The engine process the kill -9 test kills. */
const SINK_PROCESS = 'tests/contract/sink-process.ts';
/** Engine time moved on per poll while waiting for deliveries that may need a retry timer. */
const TICK_MS = 250;
/**
 * Bounds for "never blocks detection", per flush of 100 changes and between two turns of the event
 * loop. Measured with the three files running at once on 2 cores: 13–25 ms per flush, 22–52 ms
 * between turns (staging included); a sink that waited for its stalled receiver would take seconds.
 */
const FLUSH_BUDGET_MS = 200;
const LOOP_GAP_BUDGET_MS = 300;

/** One engine process: a store, its sinks, and the group commit that drives them. */
interface EngineProcess {
  store: Store;
  suts: SinkUnderTest[];
  commits: GroupCommit;
  /** Changes committed, in commit order (the group commit's `onCommitted`). */
  committed: PendingChange[];
  /** Transactions that failed and were rolled back. */
  errors: Error[];
  ended: boolean;
}

/**
 * Shared machinery of the suites below: processes over one database directory, checks at arrival.
 * One per test. It owns its temp dir rather than `useTempDir()`: a failing afterEach hook skips
 * the hooks after it, and the directory must go whatever the checks at the end find.
 */
class ContractBench {
  readonly scheduler = new ManualScheduler(T0);
  /** The database directory every process of the test opens. */
  readonly dir = createTempDir('rw-contract-');
  /** Arrivals that came before (or without) the commit of what they announce. */
  readonly arrivedUndurable: string[] = [];
  readonly problems: string[] = [];
  private readonly processes: EngineProcess[] = [];
  private rigs: SinkRig[] = [];

  async setUp(harnesses: readonly SinkHarness[]): Promise<SinkRig[]> {
    for (const harness of harnesses) {
      this.rigs.push(await harness.setUp({
        scheduler: this.scheduler,
        onArrival: (delivery) => this.checkDurable(delivery),
        onProblem: (problem) => this.problems.push(problem),
      }));
    }
    return this.rigs;
  }

  /** Opens the store in the test's directory, builds a sink per rig over it and starts them, as the engine starts. */
  async startProcess(): Promise<EngineProcess> {
    const store = openStore(this.dir);
    const suts: SinkUnderTest[] = [];
    const engine: EngineProcess = { store, suts, commits: undefined!, committed: [], errors: [], ended: false };
    this.processes.push(engine);
    for (const rig of this.rigs) suts.push(await rig.makeSink(store));
    engine.commits = new GroupCommit({
      store,
      sinks: suts.map((s) => s.sink),
      now: () => this.scheduler.now(),
      onCommitted: (changes) => engine.committed.push(...changes),
      onError: (err) => engine.errors.push(err),
    });
    for (const { sink } of suts) sink.start();
    return engine;
  }

  /** Ends a process as the engine stops: commit what is staged, stop the sinks, let go of connections, wait, close the store. */
  async endProcess(engine: EngineProcess): Promise<void> {
    if (engine.ended) return;
    engine.ended = true;
    if (engine.store.isOpen) engine.commits.flush();
    for (const { sink } of engine.suts) sink.stop();
    for (const sut of engine.suts) await within(sut.release(), `${sut.sink.name}: releasing its connections`);
    for (const { sink } of engine.suts) await within(sink.whenIdle(), `${sink.name}: whenIdle() after stop()`);
    engine.store.close();
    await engine.store.whenClosed();
  }

  /** Stages `changes` and commits them now, in one transaction (each call stays under the commit budget). */
  commitNow(engine: EngineProcess, changes: readonly PendingChange[]): void {
    for (const change of changes) engine.commits.stage(change);
    engine.commits.flush();
  }

  /** Resolves once every one of `owed` reached `rig` at least once; `tick` moves the engine clock meanwhile (retry timers). */
  async delivered(rig: SinkRig, owed: readonly Owed[], options: { tick: boolean; timeoutMs?: number }): Promise<void> {
    await until(
      () => arrivedCount(rig.delivered(), owed) === owed.length,
      () => `${owed.length} deliveries (${arrivedCount(rig.delivered(), owed)} arrived, ${rig.delivered().length} copies)`,
      { ...(options.tick ? { tick: () => this.scheduler.advanceBy(TICK_MS) } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
    );
  }

  /** Ends every process, tears every receiver down and removes the directory, whatever fails on the way. */
  async tearDown(): Promise<void> {
    const failures: unknown[] = [];
    try {
      for (const engine of this.processes.splice(0).reverse()) {
        await this.endProcess(engine).catch((err: unknown) => failures.push(err));
      }
      for (const rig of this.rigs.splice(0).reverse()) await rig.tearDown().catch((err: unknown) => failures.push(err));
    } finally {
      removeTempDir(this.dir);
    }
    if (failures.length > 0) throw failures[0];
  }

  /**
   * Durable before announced, checked at every arrival: what reached the receiver is in the store
   * already (the store open now is the one the arrival came from; during a restart there is none).
   */
  private checkDurable(delivery: Delivery): void {
    const store = this.processes.findLast((p) => p.store.isOpen)?.store;
    if (!store) return;
    const cut = delivery.id.lastIndexOf(':');
    const key = delivery.id.slice(0, cut);
    const n = Number(delivery.id.slice(cut + 1));
    if (delivery.type.startsWith('riskwatch.alert.')) {
      const changes = store.alerts.get(key)?.history.length ?? 0;
      if (changes < n) this.arrivedUndurable.push(`${delivery.id} arrived while the store holds ${changes} change(s) of ${key}`);
    } else {
      const version = store.orders.get(key)?.version ?? 0;
      if (version < n) this.arrivedUndurable.push(`${delivery.id} arrived while the store holds version ${version} of ${key}`);
    }
  }
}

function missingFrom(held: readonly string[], owed: readonly Owed[]): string[] {
  const set = new Set(held);
  return owed.filter((o) => !set.has(o.id)).map((o) => o.id);
}

/**
 * The contract every sink passes, against the receiver `harness` sets up for each test:
 *
 * 1. durable before announced — a rolled-back transaction delivers nothing, and leaves what was
 *    delivered before it alone (a later kick() re-sends nothing);
 * 2. per ordering key, deliveries in commit order, none missing;
 * 3. at least once across a restart and across a kill -9 (copies allowed, known by CloudEvent id);
 * 4. a stalled receiver never blocks detection, and gets everything once it recovers;
 * 5. `accepts` is honoured.
 */
export function describeSink(name: string, harness: SinkHarness): void {
  describe(`Sink contract: ${name}`, () => {
    let bench: ContractBench;
    let rig: SinkRig;

    beforeEach(async () => {
      bench = new ContractBench();
      [rig] = await bench.setUp([harness]);
    });

    afterEach(async () => {
      await bench.tearDown();
      expect(bench.problems).toEqual([]);
      expect(bench.arrivedUndurable).toEqual([]);
    });

    /**
     * A transaction delivered and acknowledged back to the sink (PUBACK, 2xx), one rolled back
     * after it — its orders written before the change the store refuses — and one committed after
     * it, delivered and acknowledged too.
     */
    async function aroundARollback() {
      const engine = await bench.startProcess();
      const [sut] = engine.suts;
      const accepts = sut.sink.accepts;
      const w = new Workload();
      const acknowledged = () => until(() => sut.settled(), `${sut.sink.name} to take note of what the receiver acknowledged`);

      const before = [w.both('alert-1', 'order-1'), w.order('order-3')];
      bench.commitNow(engine, before);
      await bench.delivered(rig, owedFor(before, accepts), { tick: false });
      await acknowledged();

      const rolledBack = [w.order('order-2'), w.alert('alert-2'), w.refused()];
      bench.commitNow(engine, rolledBack);
      expect(engine.errors).toHaveLength(1);
      expect(engine.store.orders.get('order-2')).toBeUndefined();

      bench.commitNow(engine, [w.both('alert-1', 'order-1'), w.order('order-3'), w.order('order-4')]);
      await bench.delivered(rig, owedFor(engine.committed, accepts), { tick: false });
      await acknowledged();
      return { engine, sut, w, rolledBack: announcedIds(rolledBack) };
    }

    it('is durable before announced: a rolled-back transaction delivers nothing of it, the transactions around it are delivered', async () => {
      const { engine, sut, rolledBack } = await aroundARollback();
      expect(rig.delivered().filter((d) => rolledBack.has(d.id))).toEqual([]);
      expect(sut.durableIds().filter((id) => rolledBack.has(id))).toEqual([]);
      // Every arrival found what it announces committed already (checked the moment it arrived).
      expect(bench.arrivedUndurable).toEqual([]);
      expect(deliveryViolations(rig.delivered(), owedFor(engine.committed, sut.sink.accepts), { duplicates: 'none' })).toEqual([]);
    });

    it('does not deliver again what it delivered before a rolled-back transaction: a later kick() re-sends nothing', async () => {
      const { engine, sut, w } = await aroundARollback();
      // The engine kicks every sink on flush() and when an operator revives a dead delivery.
      sut.sink.kick();
      // A fence: a new version of every key. Per key it cannot overtake anything the kick sent.
      bench.commitNow(engine, [w.both('alert-1', 'order-1'), w.order('order-3'), w.order('order-4')]);
      const owed = owedFor(engine.committed, sut.sink.accepts);
      await bench.delivered(rig, owed, { tick: false });
      expect(engine.errors).toHaveLength(1);
      expect(deliveryViolations(rig.delivered(), owed, { duplicates: 'none' })).toEqual([]);
    });

    it('delivers every ordering key in commit order, none missing, over many interleaved commits', async () => {
      const engine = await bench.startProcess();
      const { sink } = engine.suts[0];
      const random = seededRandom(20241122);
      const w = new Workload();
      for (let turn = 0; turn < 40; turn++) {
        for (const change of interleaved(w, 1 + Math.floor(random() * 12), { orders: 6, alerts: 4 }, random)) engine.commits.stage(change);
        // Half the turns commit at once, half at the end of the turn, as the engine's bursts do.
        if (random() < 0.5) engine.commits.flush();
        else await nextTurn();
      }
      engine.commits.flush();
      expect(engine.errors).toEqual([]);

      const owed = owedFor(engine.committed, sink.accepts);
      const keys = new Set(owed.map((o) => o.key));
      expect(keys.size).toBe(sink.accepts.has('alerts') ? 10 : 6);
      expect(owed.length).toBeGreaterThan(keys.size * 8); // every key changes many times
      await bench.delivered(rig, owed, { tick: true });
      expect(deliveryViolations(rig.delivered(), owed, { duplicates: 'none' })).toEqual([]);
    });

    it('delivers at least once across a restart: what it could not deliver arrives through a new sink over the reopened store', async () => {
      const random = seededRandom(7);
      const w = new Workload();
      const keys = { orders: 5, alerts: 3 };
      const first = await bench.startProcess();
      const accepts = first.suts[0].sink.accepts;
      bench.commitNow(first, interleaved(w, 30, keys, random));
      await bench.delivered(rig, owedFor(first.committed, accepts), { tick: true });

      await rig.stall();
      for (let i = 0; i < 10; i++) bench.commitNow(first, interleaved(w, 30, keys, random));
      expect(first.errors).toEqual([]);
      const owedBefore = owedFor(first.committed, accepts);
      expect(missingFrom(first.suts[0].durableIds(), owedBefore)).toEqual([]);
      await bench.endProcess(first);

      // A new process: the same database file, a new sink, started before the receiver is back.
      const second = await bench.startProcess();
      expect(missingFrom(second.suts[0].durableIds(), owedBefore)).toEqual([]);
      await rig.recover();
      // Nothing new is committed yet: what arrives now, start() resumed.
      await bench.delivered(rig, owedBefore, { tick: true });
      expect(deliveryViolations(rig.delivered(), owedBefore, { duplicates: 'allowed' })).toEqual([]);

      // And life goes on after the restart, each key from where it was.
      bench.commitNow(second, interleaved(w, 30, keys, random));
      const owed = owedFor([...first.committed, ...second.committed], accepts);
      await bench.delivered(rig, owed, { tick: true });
      expect(deliveryViolations(rig.delivered(), owed, { duplicates: 'allowed' })).toEqual([]);
    });

    it('delivers at least once across a kill -9: what the killed process committed arrives through a new process', async () => {
      await rig.stall();
      const [seed, batches, perBatch] = [4242, 8, 30];
      const { kind, target, id } = rig.childArgs();
      const engine = spawnManaged(process.execPath, [
        '--import', 'tsx', SINK_PROCESS, kind, bench.dir, target, id, String(seed), String(batches), String(perBatch),
      ], { cwd: ROOT });
      try {
        await until(() => engine.output().includes('done\n') || engine.failure() !== undefined,
          () => `the engine process to commit ${batches} transactions (${engine.failure() ?? 'running'}): ${engine.output()}`, { timeoutMs: 20_000 });
        // Killed while its sink is at work (requests held, publishes refused, nothing read).
        engine.child.kill('SIGKILL');
        await within(engine.exited, 'the killed engine process to exit');
      } finally {
        await engine.stop();
      }
      expect(engine.child.signalCode).toBe('SIGKILL');
      expect(engine.output().split('\n').filter((line) => line !== '' && !/^(committed [0-9]+|done)$/.test(line))).toEqual([]);

      const second = await bench.startProcess();
      const owed = owedFor(seededBatches(seed, batches, perBatch).flat(), second.suts[0].sink.accepts);
      expect(missingFrom(second.suts[0].durableIds(), owed)).toEqual([]);
      await rig.recover();
      await bench.delivered(rig, owed, { tick: true });
      expect(deliveryViolations(rig.delivered(), owed, { duplicates: 'allowed' })).toEqual([]);
    });

    it('never blocks detection while its receiver is stalled, and delivers everything once it recovers', async () => {
      const engine = await bench.startProcess();
      const [sut] = engine.suts;
      const random = seededRandom(99);
      const w = new Workload();
      await rig.stall();

      // The longest time the event loop went without a turn while the changes were committed.
      let longestGap = 0;
      let lastTurn = performance.now();
      let spinning = true;
      const spin = (): void => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - lastTurn);
        lastTurn = now;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);

      let slowestFlush = 0;
      for (let batch = 0; batch < 20; batch++) {
        for (const change of interleaved(w, 100, { orders: 40, alerts: 10 }, random)) engine.commits.stage(change);
        if (batch % 2 === 0) {
          const started = performance.now();
          engine.commits.flush();
          slowestFlush = Math.max(slowestFlush, performance.now() - started);
        }
        await nextTurn(); // odd batches commit here, at the end of the turn
      }
      engine.commits.flush();
      spinning = false;

      expect(engine.errors).toEqual([]);
      expect(engine.committed).toHaveLength(2_000);
      expect(slowestFlush).toBeLessThan(FLUSH_BUDGET_MS);
      expect(longestGap).toBeLessThan(LOOP_GAP_BUDGET_MS);
      const owed = owedFor(engine.committed, sut.sink.accepts);
      expect(missingFrom(sut.durableIds(), owed)).toEqual([]);
      // The stall was real: nothing got through it.
      expect(arrivedCount(rig.delivered(), owed)).toBe(0);

      await rig.recover();
      await bench.delivered(rig, owed, { tick: true, timeoutMs: 20_000 });
      expect(deliveryViolations(rig.delivered(), owed, { duplicates: 'allowed' })).toEqual([]);
    });

    it(`honours accepts: takes ${harness.accepts.join(' and ')}, and receives nothing else`, async () => {
      const engine = await bench.startProcess();
      const [sut] = engine.suts;
      expect([...sut.sink.accepts].sort()).toEqual([...harness.accepts].sort());
      const w = new Workload();
      bench.commitNow(engine, [w.alert('alert-1'), w.alert('alert-2'), w.both('alert-1', 'order-1'), w.order('order-2')]);
      bench.commitNow(engine, [w.alert('alert-2'), w.order('order-1'), w.both('alert-3', 'order-2')]);
      const owed = owedFor(engine.committed, sut.sink.accepts);
      await bench.delivered(rig, owed, { tick: true });
      expect(deliveryViolations(rig.delivered(), owed, { duplicates: 'none' })).toEqual([]);

      const everything = owedFor(engine.committed, new Set<SinkInput>(['alerts', 'orders']));
      for (const [input, kind] of [['alerts', 'alert'], ['orders', 'order']] as const) {
        const ids = new Set(everything.filter((o) => o.kind === kind).map((o) => o.id));
        const arrived = rig.delivered().filter((d) => ids.has(d.id)).length;
        const held = sut.durableIds().filter((id) => ids.has(id)).length;
        if (sut.sink.accepts.has(input)) {
          expect({ input, arrived }).toEqual({ input, arrived: ids.size });
        } else {
          // Not even written: nothing can come of it later either.
          expect({ input, arrived, held }).toEqual({ input, arrived: 0, held: 0 });
        }
      }
    });
  });
}

/**
 * Two sinks configured together (e.g. MQTT and a webhook) in one group commit: a stalled receiver
 * delays only its own sink's deliveries, never the other sink's.
 */
export function describeSinksTogether(names: readonly [string, string], harnesses: readonly [SinkHarness, SinkHarness]): void {
  describe(`Sink contract: ${names[0]} and ${names[1]} configured together`, () => {
    let bench: ContractBench;
    let rigs: SinkRig[];

    beforeEach(async () => {
      bench = new ContractBench();
      rigs = await bench.setUp(harnesses);
    });

    afterEach(async () => {
      await bench.tearDown();
      expect(bench.problems).toEqual([]);
      expect(bench.arrivedUndurable).toEqual([]);
    });

    for (const stalled of [1, 0] as const) {
      const healthy = 1 - stalled;
      it(`${names[healthy]} keeps delivering while ${names[stalled]} is stalled; ${names[stalled]} catches up once it recovers`, async () => {
        const engine = await bench.startProcess();
        const random = seededRandom(31 + stalled);
        const w = new Workload();
        await rigs[stalled].stall();
        for (let turn = 0; turn < 10; turn++) {
          for (const change of interleaved(w, 20, { orders: 8, alerts: 3 }, random)) engine.commits.stage(change);
          await nextTurn();
        }
        engine.commits.flush();
        expect(engine.errors).toEqual([]);

        const owedHealthy = owedFor(engine.committed, engine.suts[healthy].sink.accepts);
        const owedStalled = owedFor(engine.committed, engine.suts[stalled].sink.accepts);
        await bench.delivered(rigs[healthy], owedHealthy, { tick: true });
        expect(deliveryViolations(rigs[healthy].delivered(), owedHealthy, { duplicates: 'none' })).toEqual([]);
        expect(arrivedCount(rigs[stalled].delivered(), owedStalled)).toBe(0);

        await rigs[stalled].recover();
        await bench.delivered(rigs[stalled], owedStalled, { tick: true });
        expect(deliveryViolations(rigs[stalled].delivered(), owedStalled, { duplicates: 'allowed' })).toEqual([]);
      });
    }
  });
}
