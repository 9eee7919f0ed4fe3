import type { ManualScheduler } from '../core/manual-scheduler.js';
import type { Engine } from '../engine.js';
import type { ReplayMessage } from '../ingest/recording-reader.js';

export interface ReplaySummary {
  messages: number;
  /** Event time of the first and last message (epoch ms). */
  from: number;
  to: number;
  /** Messages dropped because their time went backwards beyond the tolerance (counted, not fed). */
  outOfOrder: number;
  alertEvents: number;
  ordersCreated: number;
  rejected: number;
  wallMs: number;
}

export interface ReplayOptions {
  /** After the last message, let the clock run on this long (so durations in progress can fire). */
  drainMs?: number;
  /**
   * Settle (decide and commit order changes) every this many messages. Changes keep their own
   * event times whenever they commit; settling bounds what waits in memory.
   */
  settleEvery?: number;
  /** Wall-clock reader for the summary only (the engine itself runs on `clock`). */
  now?: () => number;
}

/**
 * Replay: the same engine, driven by a recording on a virtual clock that follows the recorded event
 * time (ARCHITECTURE "Time": one pipeline, three clocks). Before each message the clock advances to
 * its time, so every timer due in between — offline, inactivity, a dispatch deadline — fires at its
 * own instant, exactly as live. Order changes wait for the dispatch policy (asynchronous) and carry
 * the event time they were decided at; the replay settles the engine every few hundred messages, so
 * a burst still commits in one transaction.
 */
export async function replay(
  engine: Engine,
  clock: ManualScheduler,
  messages: AsyncIterable<ReplayMessage> | Iterable<ReplayMessage>,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const settleEvery = options.settleEvery ?? 512;
  const now = options.now ?? (() => performance.now());
  const started = now();
  const before = { ...engine.counters };
  let count = 0;
  let outOfOrder = 0;
  let from = Number.NaN;
  let to = Number.NaN;
  let sinceSettle = 0;
  for await (const message of messages) {
    if (Number.isNaN(from)) from = message.t;
    if (message.t < clock.now()) {
      // The clock never goes back; a late message is fed at the current time (as a device that
      // reports late is received late), and counted so the recording can be fixed.
      outOfOrder++;
    } else {
      await advanceThroughTimers(engine, clock, message.t);
    }
    to = Math.max(Number.isNaN(to) ? message.t : to, message.t);
    engine.ingest(message.topic, message.payload);
    count++;
    if (++sinceSettle >= settleEvery) {
      await engine.settle();
      sinceSettle = 0;
    }
  }
  await engine.settle();
  if (options.drainMs && !Number.isNaN(to)) await advanceThroughTimers(engine, clock, to + options.drainMs);
  await engine.flush();
  return {
    messages: count,
    from,
    to,
    outOfOrder,
    alertEvents: engine.counters.alertEvents - before.alertEvents,
    ordersCreated: engine.counters.ordersCreated - before.ordersCreated,
    rejected: engine.counters.rejected - before.rejected,
    wallMs: now() - started,
  };
}

/**
 * Moves the clock to `t` one timer at a time, settling after each: what a timer sets off (an alert,
 * a deadline step) is committed — and re-arms whatever it re-arms — before the clock passes the
 * next timer, so a deadline re-armed 15 minutes on fires at its instant, not at the next reading.
 */
async function advanceThroughTimers(engine: Engine, clock: ManualScheduler, t: number): Promise<void> {
  // What the messages at the current instant set off is committed before time moves on: an order
  // arms its deadlines when it is committed.
  if (t > clock.now() && engine.busy) await engine.settle();
  while (clock.nextDueAt <= t) {
    clock.advanceTo(clock.nextDueAt);
    if (engine.busy) await engine.settle();
  }
  clock.advanceTo(t);
}
