import type { ManualScheduler } from '../core/manual-scheduler.js';
import type { Engine } from '../engine.js';
import type { RecordingChunk, ReplayMessage } from '../ingest/recording-reader.js';

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
 * What replay reads: messages one by one (an array, a generator, an async iterable), or a
 * recording that hands them over a chunk at a time (`readRecording(file)`), which replay prefers:
 * one await per chunk instead of one per message.
 */
export type ReplayInput =
  | Iterable<ReplayMessage>
  | AsyncIterable<ReplayMessage>
  | { chunks(): AsyncIterable<RecordingChunk> };

/**
 * Replay: the same engine, driven by a recording on a virtual clock that follows the recorded event
 * time (ARCHITECTURE "Time": one pipeline, three clocks). Before each message the clock advances to
 * its time, so every timer due in between — offline, inactivity, a dispatch deadline — fires at its
 * own instant, exactly as live. Order changes wait for the dispatch policy (asynchronous) and carry
 * the event time they were decided at; the replay settles the engine before the clock moves on
 * whenever changes are pending, and every few hundred messages, so a burst still commits in one
 * transaction.
 *
 * Messages go in through `engine.ingest`, as the broker feeds them. Most need nothing else: only
 * a message that moves the clock past a timer or onto pending order changes, or that completes
 * `settleEvery`, waits for the engine; the others cost no promise at all.
 */
export async function replay(
  engine: Engine,
  clock: ManualScheduler,
  messages: ReplayInput,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const before = { ...engine.counters };
  const feed = new Feed(engine, clock, options.settleEvery ?? 512);
  if ('chunks' in messages) {
    for await (const chunk of messages.chunks()) {
      // A chunk that offers its bytes in place (the recording reader's) is fed without a payload
      // view or a topic string per message.
      const inPlace = chunk.bytes !== undefined && chunk.payloadFrom !== undefined && chunk.payloadTo !== undefined && chunk.recordedTopic !== undefined;
      for (let i = 0; i < chunk.length; i++) {
        const t = chunk.time(i);
        const advancing = feed.advance(t);
        if (advancing !== undefined) await advancing;
        const settling = inPlace ? feed.ingestInPlace(t, chunk, i) : feed.ingest(t, chunk.topic(i), chunk.payload(i));
        if (settling !== undefined) await settling;
      }
    }
  } else if (isIterable(messages)) {
    for (const message of messages) {
      const waiting = feed.message(message);
      if (waiting !== undefined) await waiting;
    }
  } else {
    for await (const message of messages) {
      const waiting = feed.message(message);
      if (waiting !== undefined) await waiting;
    }
  }
  await engine.settle();
  if (options.drainMs && feed.count > 0) await advanceThroughTimers(engine, clock, feed.to + options.drainMs);
  await engine.flush();
  return {
    messages: feed.count,
    from: feed.count > 0 ? feed.from : Number.NaN,
    to: feed.count > 0 ? feed.to : Number.NaN,
    outOfOrder: feed.outOfOrder,
    alertEvents: engine.counters.alertEvents - before.alertEvents,
    ordersCreated: engine.counters.ordersCreated - before.ordersCreated,
    rejected: engine.counters.rejected - before.rejected,
    wallMs: now() - started,
  };
}

/**
 * The clock and the engine, one message at a time. Counters are fields, not variables captured by
 * closures: V8 keeps a number field in place, where every write to a captured variable holding a
 * non-small number allocates (`to` changes with nearly every message).
 */
class Feed {
  count = 0;
  outOfOrder = 0;
  from = 0;
  to = 0;
  private sinceSettle = 0;

  constructor(private readonly engine: Engine, private readonly clock: ManualScheduler, private readonly settleEvery: number) {}

  /**
   * Moves the clock to `t`, timer by timer (see advanceThroughTimers). Synchronous unless the
   * engine has order changes to settle first: then the promise to wait for.
   */
  advance(t: number): Promise<void> | undefined {
    const { clock, engine } = this;
    const now = clock.now();
    if (t < now) {
      // The clock never goes back; a late message is fed at the current time (as a device that
      // reports late is received late), and counted so the recording can be fixed.
      this.outOfOrder++;
      return undefined;
    }
    if (t === now) return undefined;
    if (engine.busy) return this.settleThenAdvance(t);
    while (clock.nextDueAt <= t) {
      clock.advanceTo(clock.nextDueAt);
      if (engine.busy) return this.settleThenAdvance(t);
    }
    clock.advanceTo(t);
    return undefined;
  }

  /** Feeds the message at the current time; the promise to wait for when a settle is due. */
  ingest(t: number, topic: string, payload: Buffer): Promise<void> | undefined {
    this.counted(t);
    this.engine.ingest(topic, payload);
    return this.settleDue();
  }

  /** `ingest` for message `i` of a chunk that offers its bytes in place. */
  ingestInPlace(t: number, chunk: RecordingChunk, i: number): Promise<void> | undefined {
    this.counted(t);
    const recorded = chunk.recordedTopic!(i);
    this.engine.ingestRange(recorded !== undefined ? recorded.topic : chunk.topic(i), recorded, chunk.bytes!(i), chunk.payloadFrom!(i), chunk.payloadTo!(i));
    return this.settleDue();
  }

  private counted(t: number): void {
    if (this.count++ === 0) this.from = t;
    if (t > this.to || this.count === 1) this.to = t;
  }

  private settleDue(): Promise<void> | undefined {
    if (++this.sinceSettle < this.settleEvery) return undefined;
    this.sinceSettle = 0;
    return this.engine.settle();
  }

  /** `advance` then `ingest`, for messages that come as objects; a promise only when either waits. */
  message(message: ReplayMessage): Promise<void> | undefined {
    const advancing = this.advance(message.t);
    if (advancing !== undefined) return advancing.then(() => this.ingest(message.t, message.topic, message.payload));
    return this.ingest(message.t, message.topic, message.payload);
  }

  private async settleThenAdvance(t: number): Promise<void> {
    await this.engine.settle();
    await this.advance(t);
  }
}

function isIterable<T>(source: AsyncIterable<T> | Iterable<T>): source is Iterable<T> {
  return typeof (source as Partial<Iterable<T>>)[Symbol.iterator] === 'function';
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
