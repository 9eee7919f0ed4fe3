/**
 * Server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html): the wire
 * format and one client connection with a heartbeat and bounded backpressure.
 */

/** One event as the stream sends it. */
export interface SseEvent {
  /** Becomes the client's Last-Event-ID once the event is dispatched. */
  id: number | string;
  /** The `event:` field (the listener name on an EventSource); omitted means `message`. */
  event?: string;
  /** Payload; normally one line of JSON. */
  data: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * `id: …\nevent: …\ndata: …\n\n`. JSON text never contains a raw line break, but should a payload
 * carry one anyway, each line gets its own `data:` field (the client joins them with `\n`), so the
 * event can never be cut short or smuggle a field of its own. Line breaks in `id`/`event` would do
 * the same and are not allowed there.
 */
export function formatSseEvent(event: SseEvent): string {
  const id = String(event.id);
  if (LINE_BREAK.test(id) || (event.event !== undefined && LINE_BREAK.test(event.event))) {
    throw new TypeError('an SSE id or event name cannot contain a line break');
  }
  let text = `id: ${id}\n`;
  if (event.event !== undefined) text += `event: ${event.event}\n`;
  for (const line of event.data.split(LINE_BREAK)) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** `retry: {ms}`: how long a client waits before reconnecting after the stream drops. */
export function formatSseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.trunc(ms))}\n\n`;
}

/** A comment (`: …`): ignored by clients; keeps proxies and load balancers from timing out. */
export function formatSseComment(text: string): string {
  return `${text.split(LINE_BREAK).map((line) => `: ${line}\n`).join('')}\n`;
}

/** The writable end of an HTTP response that a connection needs; node's `ServerResponse` is one. */
export interface SseTransport {
  /** False when the chunk was buffered above the high-water mark: wait for `drain`. */
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
  on(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Real-time timers, replaceable in tests. */
export interface HeartbeatTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface SseConnectionOptions {
  /** `retry:` hint sent first (ms). */
  retryMs: number;
  /** A `: keep-alive` comment this often (ms), skipped while the client is behind; 0 for none. */
  heartbeatMs: number;
  /**
   * Bytes of events held while the client does not keep up (the transport's own buffer, up to its
   * high-water mark, comes on top). Above this the connection is closed: the client reconnects
   * with Last-Event-ID and catches up from the log, paced by its own reading.
   */
  maxBufferedBytes: number;
  timers: HeartbeatTimers;
}

export const SSE_CONNECTION_DEFAULTS: SseConnectionOptions = {
  retryMs: 3000,
  // Under the 30–60 s idle timeouts of common proxies (nginx proxy_read_timeout is 60 s).
  heartbeatMs: 15_000,
  // A storm (thousands of orders in one commit, ~2 KB each) goes out in one synchronous burst that
  // no socket drains meanwhile; 4 MiB lets a client that reads at all ride out a large one.
  maxBufferedBytes: 4 * 1024 * 1024,
  // The heartbeat is socket I/O, not engine logic: it runs on real time, never on the engine clock.
  timers: {
    setInterval: (callback, ms) => setInterval(callback, ms),
    clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
  },
};

/** Why a connection ended: the client left, the server closed it, or the client fell too far behind. */
export type SseCloseReason = 'client' | 'server' | 'overflow';

/**
 * One client's event stream over a transport whose headers are already sent.
 *
 * Lifecycle: `new SseConnection(transport)` → `open()` (retry hint, heartbeat) → `send()`* →
 * `close()` or the client leaves or overflows; `onClose` listeners run once in every case.
 *
 * Backpressure: while the transport reports it is full, events queue here, up to
 * `maxBufferedBytes`; `drain` flushes the queue in order. One event more than the bound destroys
 * the transport rather than letting memory grow with a client that stopped reading.
 */
export class SseConnection {
  private readonly options: SseConnectionOptions;
  private readonly queue: string[] = [];
  private queued = 0;
  private full = false;
  private heartbeat: unknown;
  private reason: SseCloseReason | undefined;
  private readonly closeListeners: ((reason: SseCloseReason) => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  /** Largest the queue has been (bytes), for diagnostics and tests of the bound. */
  peakQueuedBytes = 0;

  constructor(private readonly transport: SseTransport, options: Partial<SseConnectionOptions> = {}) {
    this.options = { ...SSE_CONNECTION_DEFAULTS, ...options };
    transport.on('drain', () => this.flush());
    transport.on('close', () => this.finish('client'));
  }

  /** Sends the retry hint and starts the heartbeat. */
  open(): void {
    this.write(formatSseRetry(this.options.retryMs));
    if (this.options.heartbeatMs > 0) {
      this.heartbeat = this.options.timers.setInterval(() => {
        // A connection still flushing is busy anyway, and a comment would only add to its queue.
        if (!this.full && !this.closed) this.write(formatSseComment('keep-alive'));
      }, this.options.heartbeatMs);
    }
  }

  get closed(): boolean {
    return this.reason !== undefined;
  }

  /** Why it closed; undefined while open. */
  get closeReason(): SseCloseReason | undefined {
    return this.reason;
  }

  /** Bytes waiting for the client to read (beyond the transport's own buffer). */
  get queuedBytes(): number {
    return this.queued;
  }

  /** The bound on queued bytes this connection enforces. */
  get maxBufferedBytes(): number {
    return this.options.maxBufferedBytes;
  }

  /** True while the transport is full: sending more only queues. */
  get backpressured(): boolean {
    return this.full;
  }

  /** Sends or queues one event; false once the connection is closed (also when this event overflowed it). */
  send(event: SseEvent): boolean {
    if (this.closed) return false;
    this.write(formatSseEvent(event));
    return !this.closed;
  }

  /** Resolves once the transport can take more without queueing, or the connection closed. */
  whenWritable(): Promise<void> {
    if (!this.full || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  onClose(listener: (reason: SseCloseReason) => void): void {
    if (this.reason !== undefined) listener(this.reason);
    else this.closeListeners.push(listener);
  }

  /**
   * Ends the stream (server shutdown). What is queued is dropped and a transport still full is
   * destroyed rather than ended, which would wait for a client that may never read: either way the
   * client reconnects and resumes from its Last-Event-ID.
   */
  close(): void {
    if (this.closed) return;
    const stuck = this.full;
    this.finish('server');
    if (stuck) this.transport.destroy();
    else this.transport.end();
  }

  private write(chunk: string): void {
    if (!this.full) {
      this.full = !this.transport.write(chunk);
      return;
    }
    const bytes = Buffer.byteLength(chunk);
    if (this.queued + bytes > this.options.maxBufferedBytes) {
      this.finish('overflow');
      this.transport.destroy();
      return;
    }
    this.queue.push(chunk);
    this.queued += bytes;
    if (this.queued > this.peakQueuedBytes) this.peakQueuedBytes = this.queued;
  }

  private flush(): void {
    if (this.closed) return;
    this.full = false;
    if (this.queue.length > 0) {
      // One write for the whole queue: it is bounded, and one chunk costs one syscall instead of many.
      const chunk = this.queue.length === 1 ? this.queue[0] : this.queue.join('');
      this.queue.length = 0;
      this.queued = 0;
      this.full = !this.transport.write(chunk);
    }
    if (!this.full) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private finish(reason: SseCloseReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    if (this.heartbeat !== undefined) this.options.timers.clearInterval(this.heartbeat);
    this.queue.length = 0;
    this.queued = 0;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
    for (const listener of this.closeListeners.splice(0)) listener(reason);
  }
}
