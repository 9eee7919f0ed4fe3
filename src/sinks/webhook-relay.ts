import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Scheduler } from '../contracts/clock.js';
import {
  ERR_CONFIG_INVALID, ERR_WEBHOOK_STATUS, ERR_WEBHOOK_TIMEOUT, ERR_WEBHOOK_UNREACHABLE, withDetails, type RiskwatchError,
} from '../core/errors.js';
import { TimerQueue, type TimerEntry } from '../core/timer-queue.js';
import type { Outbox, OutboxEntry } from '../contracts/outbox.js';
import type { HttpPost } from './http-post.js';
import { createWorkerHttpPost } from './worker-http-post.js';
import { isPostTimeout } from './http-post.js';
import { webhookHeaders, webhookKey } from './webhook-signature.js';

/** The part of the outbox repository a webhook relay uses. */
export type WebhookOutbox = Pick<
  Outbox, 'pendingForSink' | 'pendingForKey' | 'findPending' | 'markDelivered' | 'markRetry' | 'markDead' | 'revivals'
>;

export interface WebhookRelayOptions {
  outbox: WebhookOutbox;
  /** The endpoint, `http(s)://…`; it receives every entry of `sink`. */
  url: string;
  /** The outbox sink this relay drains, `webhook:{url}`. */
  sink: string;
  /** Standard Webhooks signing secret (`whsec_…` base64, or any passphrase). */
  secret: string;
  /** Per request, until the response headers arrive. */
  timeoutMs: number;
  /** Failed attempts after which an entry is given up (dead) and the order's next event may go. */
  maxAttempts: number;
  /** Requests in flight at once, each for a different ordering key (order). */
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** The engine clock: retry times are read from and scheduled on it, never on timers of our own. */
  scheduler: Scheduler;
  /** Jitter source in [0, 1). Default `Math.random`; tests pin it. */
  random?: () => number;
  /** Default: node:http(s) with keep-alive on a worker thread (see http-post.ts, http-post-worker.ts). */
  post?: HttpPost;
  /** Hooks get the entry as sent, with its payload: the order, with residents' contacts. Log ids only. */
  onDelivered?(entry: OutboxEntry): void;
  /** Every failed attempt, the last one included. */
  onAttemptFailed?(entry: OutboxEntry, err: RiskwatchError): void;
  /** The entry was given up after `maxAttempts`; it is kept in the outbox for redelivery. */
  onDead?(entry: OutboxEntry, err: RiskwatchError): void;
  /** The store (e.g. closed) or a hook threw. The relay then reads its backlog again from the start. */
  onError?(err: unknown): void;
}

/**
 * Where one ordering key (one order) stands. Only its head — its oldest pending entry — is ever
 * sent; the others wait behind it in the outbox and are not held in memory.
 */
interface KeyState extends TimerEntry {
  /** Map key: `k{orderingKey}`, or `i{id}` for an entry without ordering key (it orders nothing). */
  readonly key: string;
  readonly orderingKey: string | undefined;
  headId: number;
  /** sending: a request is in flight · waiting: for its retry time (armed in the timer queue) · ready: for a free slot. */
  state: 'sending' | 'waiting' | 'ready';
  /** Lowest id of a later pending entry of this key already read (≤ cursor); undefined when none was. */
  nextId: number | undefined;
}

/** Entries read per page at most: payloads are a few KB, and a page is read synchronously. */
const PAGE_SIZE = 64;

/**
 * Delivers one webhook endpoint's outbox entries (sink `webhook:{url}`): signed after Standard
 * Webhooks, retried with exponential backoff and full jitter on the engine scheduler, given up
 * (dead, kept for redelivery) after `maxAttempts`. At-least-once: an entry is marked delivered only
 * after a 2xx, so a crash or stop in between sends it again; `webhook-id` / `Idempotency-Key` (the
 * CloudEvent id, `{orderId}:{version}`) lets the receiver recognise the copy.
 *
 * Ordering: per ordering key strictly one request in flight and in id (commit) order — version 3
 * of an order goes only after version 2 was delivered or went dead — while different orders go
 * concurrently, up to `concurrency`. A failing order therefore never holds back the others.
 *
 * How it reads the outbox: a cursor walks the sink's pending entries forward in pages (the partial
 * index `outbox_pending (sink, id)`); for every ordering key read so far and still pending it keeps
 * one small `KeyState` (its head), not the entries. When a head is done, the next entry of that key
 * is looked up in the store; when a head waits for its retry time it sits in a timer queue with one
 * scheduler action for the earliest. So nothing spins while everything waits, a new commit costs
 * one indexed read of the new rows, and a backlog is read once, not once per delivery.
 *
 * Lifecycle: new → kick() at start (resumes whatever is pending, including entries that were in
 * flight when the process died) and after every commit or redelivery → stop(). An entry revived
 * through the same repository (`outbox.revive()`) is older than the cursor: the next kick notices
 * (`outbox.revivals` changed) and reads the backlog again from its start; `rescan()` forces that.
 */
export class WebhookRelay {
  private readonly keys = new Map<string, KeyState>();
  /** Heads due and waiting for a free slot, in the order they became ready. */
  private ready: KeyState[] = [];
  private readyIndex = 0;
  private readonly timers: TimerQueue<KeyState>;
  /** Every pending entry with an id ≤ cursor has been read and has its key in `keys`. */
  private cursor = 0;
  private sending = 0;
  /** `outbox.revivals` when the backlog was last read from its start. */
  private revivalsSeen: number;
  private pumping = false;
  private again = false;
  private stopped = false;
  private readonly requests = new Set<AbortController>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly key: Buffer;
  private readonly random: () => number;
  private readonly post: HttpPost;
  private readonly closeHttp: () => void;
  private readonly counts = { delivered: 0, failedAttempts: 0, dead: 0 };

  constructor(private readonly options: WebhookRelayOptions) {
    if (!options.secret) throw ERR_CONFIG_INVALID(`webhook ${options.sink}: a signing secret is required`);
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw ERR_CONFIG_INVALID(`webhook ${options.sink}: concurrency must be a whole number of at least 1`);
    }
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
      throw ERR_CONFIG_INVALID(`webhook ${options.sink}: maxAttempts must be a whole number of at least 1`);
    }
    this.key = webhookKey(options.secret);
    this.random = options.random ?? Math.random;
    if (options.post) {
      this.post = options.post;
      this.closeHttp = () => undefined;
    } else {
      const http = createWorkerHttpPost(options.concurrency);
      this.post = http.post;
      this.closeHttp = http.close;
    }
    this.revivalsSeen = options.outbox.revivals;
    this.timers = new TimerQueue<KeyState>(options.scheduler, (state) => {
      state.state = 'ready';
      this.ready.push(state);
      this.pump();
    });
  }

  /** Entries delivered (2xx) since this relay started. */
  get delivered(): number {
    return this.counts.delivered;
  }

  /** Failed attempts (non-2xx, timeout, network error) since this relay started. */
  get failedAttempts(): number {
    return this.counts.failedAttempts;
  }

  /** Entries given up since this relay started. */
  get dead(): number {
    return this.counts.dead;
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.sending;
  }

  /** Something was committed for this sink (or the engine started): deliver what is due. */
  kick(): void {
    this.pump();
  }

  /**
   * Forgets what was read and reads the sink's backlog again from its oldest entry, e.g. after a
   * dead entry was revived. Requests in flight are kept and still counted against their order.
   */
  rescan(): void {
    if (this.stopped) return;
    this.forgetReading();
    this.pump();
  }

  private forgetReading(): void {
    for (const state of this.keys.values()) {
      if (state.state === 'sending') {
        state.nextId = undefined; // read again below
        continue;
      }
      this.timers.disarm(state);
      this.keys.delete(state.key);
    }
    this.ready = [];
    this.readyIndex = 0;
    this.cursor = 0;
  }

  /**
   * Stops: no new requests; those in flight are aborted and stay pending exactly as they were (no
   * attempt recorded), so the next start sends them again.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timers.dispose();
    for (const request of this.requests) request.abort();
    this.closeHttp(); // idle keep-alive sockets would hold the process open
  }

  /** Resolves once no request is in flight and no read is under way (retries may still be scheduled). */
  async whenIdle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
  }

  private pump(): void {
    if (this.stopped) return;
    this.again = true;
    if (this.pumping) return;
    this.pumping = true;
    this.track(this.drain());
  }

  private async drain(): Promise<void> {
    try {
      // Never inside the caller's stack: the commit that kicked us finishes first, and every kick
      // of one burst of commits folds into this one pass.
      await Promise.resolve();
      while (this.again && !this.stopped) {
        this.again = false;
        await this.fill();
      }
    } finally {
      // Cleared in the same synchronous step that saw `again` false, so no kick falls in a gap.
      this.pumping = false;
    }
  }

  /** Starts requests until every slot is taken or nothing more is due. */
  private async fill(): Promise<void> {
    const { outbox, sink, concurrency, scheduler } = this.options;
    let limit = 0;
    let passedOver = false;
    for (;;) {
      if (this.stopped) return;
      if (outbox.revivals !== this.revivalsSeen) {
        this.revivalsSeen = outbox.revivals;
        this.forgetReading();
      }
      this.sendReady();
      const free = concurrency - this.sending;
      if (free <= 0) return; // a finishing request pumps again
      // As many rows as free slots, so that no row is read only to be left for later (a slow
      // receiver frees one slot at a time); doubled while the rows read take no slot (they wait
      // behind their order or for their retry time).
      limit = Math.min(PAGE_SIZE, passedOver ? Math.max(free, 2 * limit) : free);
      const page = outbox.pendingForSink(sink, limit, this.cursor);
      const now = scheduler.now();
      const sendingBefore = this.sending;
      for (const entry of page) {
        if (this.sending >= concurrency) return; // the rest is read again when a slot frees
        this.admit(entry, now);
        this.cursor = entry.id;
      }
      passedOver = this.sending - sendingBefore < page.length;
      if (page.length < limit) return; // the end of the backlog
      // A long backlog is read page by page between other work, never in one synchronous stretch.
      await yieldToEventLoop();
    }
  }

  /** An entry read for the first time: send it, park it until its retry time, or note it behind its order's head. */
  private admit(entry: OutboxEntry, now: number): void {
    const key = entry.orderingKey !== undefined ? `k${entry.orderingKey}` : `i${entry.id}`;
    const known = this.keys.get(key);
    if (known) {
      if (entry.id !== known.headId && (known.nextId === undefined || entry.id < known.nextId)) known.nextId = entry.id;
      return;
    }
    const state: KeyState = {
      key, orderingKey: entry.orderingKey, headId: entry.id, state: 'ready', nextId: undefined, dueAt: 0, heapIndex: -1,
    };
    this.keys.set(key, state);
    if (entry.nextAttemptAt !== undefined && entry.nextAttemptAt > now) {
      state.state = 'waiting';
      this.timers.arm(state, entry.nextAttemptAt);
    } else {
      this.send(state, entry);
    }
  }

  /** Sends heads that became due (retry time reached, or the previous event of their order done). */
  private sendReady(): void {
    const { outbox, concurrency } = this.options;
    while (this.sending < concurrency && this.readyIndex < this.ready.length) {
      const state = this.ready[this.readyIndex++]!;
      if (state.state !== 'ready' || this.keys.get(state.key) !== state) continue; // dropped by rescan()
      const entry = outbox.findPending(state.headId);
      if (entry) this.send(state, entry);
      else this.advance(state); // delivered or given up meanwhile (redelivered by hand): the next one's turn
    }
    if (this.readyIndex === this.ready.length) {
      this.ready = [];
      this.readyIndex = 0;
    }
  }

  private send(state: KeyState, entry: OutboxEntry): void {
    state.state = 'sending';
    this.sending++;
    this.track(this.attempt(state, entry));
  }

  private async attempt(state: KeyState, entry: OutboxEntry): Promise<void> {
    const { url, timeoutMs, scheduler } = this.options;
    // The outbox id is unique for good (AUTOINCREMENT): a fallback for entries appended without a key.
    const id = entry.idempotencyKey ?? String(entry.id);
    const headers = webhookHeaders(this.key, id, Math.floor(scheduler.now() / 1000), entry.payload);
    const request = new AbortController();
    this.requests.add(request);
    let failure: RiskwatchError | undefined;
    try {
      // Standard Webhooks: a redirect is a failure; `post` never follows one. The timeout runs
      // where the request is sent (see http-post.ts), from the moment it is.
      const response = await this.post(url, { headers, body: entry.payload, signal: request.signal, timeoutMs });
      if (response.status < 200 || response.status > 299) {
        failure = ERR_WEBHOOK_STATUS(response.status);
        const retryAfter = retryAfterMs(response.retryAfter, scheduler.now());
        if (retryAfter !== undefined) withDetails(failure, { retryAfterMs: retryAfter });
      }
    } catch (err) {
      failure = isPostTimeout(err) ? ERR_WEBHOOK_TIMEOUT(timeoutMs) : ERR_WEBHOOK_UNREACHABLE(networkReason(err));
    } finally {
      this.requests.delete(request);
      this.sending--;
    }
    // Stopped: the entry stays pending as it was and goes again at the next start.
    if (this.stopped) return;
    try {
      this.settle(state, entry, failure);
    } catch (err) {
      // The store (closed under us?) or a hook failed half-way: what was read cannot be trusted;
      // read it all again.
      this.options.onError?.(err);
      this.forget(state);
      this.rescan();
      return;
    }
    this.pump();
  }

  /** Records the outcome; then the order's next entry may go, or this one waits for its retry. */
  private settle(state: KeyState, entry: OutboxEntry, failure: RiskwatchError | undefined): void {
    const { outbox, scheduler, maxAttempts } = this.options;
    const now = scheduler.now();
    if (!failure) {
      outbox.markDelivered(entry.id, now);
      this.counts.delivered++;
      this.advance(state);
      this.options.onDelivered?.(entry);
      return;
    }
    const attempts = entry.attempts + 1;
    const sent: OutboxEntry = { ...entry, attempts, lastAttemptAt: now, lastError: failure.message };
    this.counts.failedAttempts++;
    if (attempts >= maxAttempts) {
      outbox.markDead(entry.id, now, failure.message);
      sent.deadAt = now;
      delete sent.nextAttemptAt;
      this.counts.dead++;
      this.advance(state);
      this.options.onAttemptFailed?.(sent, failure);
      this.options.onDead?.(sent, failure);
      return;
    }
    const nextAttemptAt = now + this.retryDelay(attempts, failure);
    outbox.markRetry(entry.id, now, failure.message, nextAttemptAt);
    sent.nextAttemptAt = nextAttemptAt;
    state.state = 'waiting';
    this.timers.arm(state, nextAttemptAt);
    this.options.onAttemptFailed?.(sent, failure);
  }

  /**
   * "Full jitter" (AWS Architecture Blog, Marc Brooker, "Exponential Backoff And Jitter", 2015):
   * a uniformly random delay below min(cap, base · 2^(attempt-1)). When an outage fails many
   * entries at once, their retries spread over the whole window instead of arriving in waves at a
   * receiver that is just coming back; of the variants measured there it did the least work. A
   * `Retry-After` from the receiver (429, 503) is honoured as a lower bound, within the cap.
   */
  private retryDelay(failedAttempts: number, failure: RiskwatchError): number {
    const { retryBaseMs, retryMaxMs } = this.options;
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(failedAttempts - 1, 40));
    const jittered = Math.floor(this.random() * ceiling);
    const retryAfter = failure.details?.['retryAfterMs'];
    return typeof retryAfter === 'number' ? Math.min(retryMaxMs, Math.max(jittered, retryAfter)) : jittered;
  }

  /** The head is done (delivered or dead): the next pending entry of its order becomes the head. */
  private advance(state: KeyState): void {
    const { outbox, sink, scheduler } = this.options;
    if (state.orderingKey === undefined || state.nextId === undefined) {
      this.forget(state);
      return;
    }
    // Entries of this key above the cursor are left to the cursor: it has not read them yet.
    const [head, after] = outbox.pendingForKey(sink, state.orderingKey, state.nextId, this.cursor, 2);
    if (!head) {
      this.forget(state);
      return;
    }
    state.headId = head.id;
    state.nextId = after?.id;
    if (head.nextAttemptAt !== undefined && head.nextAttemptAt > scheduler.now()) {
      state.state = 'waiting';
      this.timers.arm(state, head.nextAttemptAt);
    } else {
      state.state = 'ready';
      this.ready.push(state);
    }
  }

  private forget(state: KeyState): void {
    this.timers.disarm(state);
    if (this.keys.get(state.key) === state) this.keys.delete(state.key);
  }

  private track(work: Promise<void>): void {
    const task: Promise<void> = work
      .catch((err: unknown) => this.options.onError?.(err))
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
  }
}

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`. */
function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text); // parses the given date; reads no clock
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A socket error (`ECONNREFUSED ...`), or the cause of a wrapped one. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const reason = cause instanceof Error ? cause : err;
  const code = (reason as { code?: unknown }).code;
  const message = reason instanceof Error ? reason.message : String(reason);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}
