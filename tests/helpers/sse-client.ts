import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

/** One dispatched server-sent event, as an EventSource would hand it to a listener. */
export interface SseMessage {
  /** The last event id at dispatch (what the client would send back as Last-Event-ID). */
  id: string;
  /** `event:` field, `message` when absent. */
  event: string;
  data: string;
}

/**
 * The parsing rules of the SSE spec (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
 * for text that arrives in arbitrary chunks: lines end in CRLF, LF or CR; `:` starts a comment; an
 * empty line dispatches the event (nothing when no `data:` came); `id:` persists across events.
 */
export class SseParser {
  lastEventId = '';
  retry: number | undefined;
  readonly comments: string[] = [];
  private pending = '';
  private data: string[] = [];
  private eventType = '';

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): SseMessage[] {
    let text = this.pending + chunk;
    // A CR at the very end may be the first half of a CRLF: decide once the next chunk shows.
    const heldCr = text.endsWith('\r');
    if (heldCr) text = text.slice(0, -1);
    const lines = text.split(/\r\n|\r|\n/);
    // The last piece has no line ending yet.
    this.pending = (lines.pop() ?? '') + (heldCr ? '\r' : '');
    return this.pushLines(lines);
  }

  private pushLines(lines: string[]): SseMessage[] {
    const out: SseMessage[] = [];
    for (const line of lines) {
      if (line === '') {
        if (this.data.length > 0) out.push({ id: this.lastEventId, event: this.eventType || 'message', data: this.data.join('\n') });
        this.data = [];
        this.eventType = '';
        continue;
      }
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trimStart());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.eventType = value;
      else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
      else if (field === 'retry' && /^[0-9]+$/.test(value)) this.retry = Number(value);
    }
    return out;
  }
}

export interface SseClient {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly events: SseMessage[];
  readonly parser: SseParser;
  /** The raw response, to pause and resume reading. */
  readonly response: IncomingMessage;
  /** Called with every event as it arrives (to act at a given point of the stream). */
  onEvent?: (event: SseMessage, index: number) => void;
  /** Resolves once `count` events have arrived in total; rejects if the stream ends first. */
  waitFor(count: number): Promise<SseMessage[]>;
  /** Resolves once the `retry:` hint arrived (the server has set the stream up); rejects if the stream ends first. */
  ready(): Promise<void>;
  /** Resolves when the stream has ended, however (server end, reset, or close()). */
  readonly ended: Promise<void>;
  /** Closes the connection from the client side. */
  close(): void;
}

/** Opens `url` as an event stream (GET, `Accept: text/event-stream`) with node:http. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const parser = new SseParser();
      const events: SseMessage[] = [];
      const waiters: { count: number; resolve: (e: SseMessage[]) => void; reject: (err: Error) => void }[] = [];
      const readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
      let done = false;
      let markEnded: () => void = () => {};
      const ended = new Promise<void>((r) => { markEnded = r; });
      const finish = () => {
        if (done) return;
        done = true;
        for (const w of waiters.splice(0)) w.reject(new Error(`stream ended after ${events.length} events, before ${w.count}`));
        for (const w of readyWaiters.splice(0)) w.reject(new Error('stream ended before the retry hint'));
        markEnded();
      };
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        parser,
        response: res,
        waitFor(count) {
          if (events.length >= count) return Promise.resolve(events.slice(0, count));
          if (done) return Promise.reject(new Error(`stream ended after ${events.length} events, before ${count}`));
          return new Promise((res2, rej) => waiters.push({ count, resolve: res2, reject: rej }));
        },
        ready() {
          if (parser.retry !== undefined) return Promise.resolve();
          if (done) return Promise.reject(new Error('stream ended before the retry hint'));
          return new Promise((res2, rej) => readyWaiters.push({ resolve: res2, reject: rej }));
        },
        ended,
        close() {
          req.destroy();
          finish();
        },
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const event of parser.push(chunk)) {
          events.push(event);
          client.onEvent?.(event, events.length - 1);
        }
        if (parser.retry !== undefined) for (const w of readyWaiters.splice(0)) w.resolve();
        for (const waiter of waiters.filter((w) => events.length >= w.count)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(events.slice(0, waiter.count));
        }
      });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      resolve(client);
    });
    req.on('error', reject);
    req.end();
  });
}
