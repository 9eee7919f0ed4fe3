import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  SseConnection, formatSseComment, formatSseEvent, formatSseRetry, type HeartbeatTimers, type SseTransport,
} from '../../../src/api/sse-stream.js';
import { SseParser } from '../../helpers/sse-client.js';

/**
 * An in-memory response: accepts writes until `highWaterMark` bytes wait unread, then reports
 * itself full; `read()` plays the client reading everything (and emits `drain` if it was full).
 */
class MemoryTransport extends EventEmitter implements SseTransport {
  readonly written: string[] = [];
  unread = 0;
  ended = false;
  destroyed = false;
  private wasFull = false;

  constructor(private readonly highWaterMark: number) {
    super();
  }

  write(chunk: string): boolean {
    if (this.ended || this.destroyed) throw new Error('write after end');
    this.written.push(chunk);
    this.unread += Buffer.byteLength(chunk);
    this.wasFull = this.unread >= this.highWaterMark;
    return !this.wasFull;
  }

  read(): void {
    this.unread = 0;
    if (this.wasFull) {
      this.wasFull = false;
      this.emit('drain');
    }
  }

  end(): void {
    this.ended = true;
    this.emit('close');
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }

  /** Everything written, parsed as a client would. */
  events() {
    return new SseParser().push(this.written.join(''));
  }
}

/** A heartbeat driven by hand: `tick()` is one interval passing. */
function manualTimers() {
  const state = { callback: undefined as (() => void) | undefined, ms: 0, cleared: false };
  const timers: HeartbeatTimers = {
    setInterval: (callback, ms) => { state.callback = callback; state.ms = ms; return 'handle'; },
    clearInterval: (handle) => { if (handle === 'handle') state.cleared = true; },
  };
  return { timers, state, tick: () => state.callback?.() };
}

const event = (id: number, data = `{"n":${id}}`) => ({ id, event: 'riskwatch.order.status', data });

describe('SSE wire format', () => {
  it('writes id, event and data, one field per line, and a blank line', () => {
    expect(formatSseEvent({ id: 42, event: 'riskwatch.order.created', data: '{"a":1}' }))
      .toBe('id: 42\nevent: riskwatch.order.created\ndata: {"a":1}\n\n');
    expect(formatSseEvent({ id: 'x', data: '' })).toBe('id: x\ndata: \n\n');
  });

  it('splits a multi-line payload into data lines, so it cannot end the event early or inject a field', () => {
    const text = formatSseEvent({ id: 7, event: 'e', data: 'line one\nid: 999\r\n\r\nevent: evil\rlast' });
    expect(text).toBe('id: 7\nevent: e\ndata: line one\ndata: id: 999\ndata: \ndata: event: evil\ndata: last\n\n');
    expect(new SseParser().push(text)).toEqual([{ id: '7', event: 'e', data: 'line one\nid: 999\n\nevent: evil\nlast' }]);
  });

  it('refuses line breaks in id and event name', () => {
    expect(() => formatSseEvent({ id: '1\n2', data: 'x' })).toThrow(TypeError);
    expect(() => formatSseEvent({ id: 1, event: 'a\rb', data: 'x' })).toThrow(TypeError);
  });

  it('formats the retry hint and comments', () => {
    expect(formatSseRetry(3000)).toBe('retry: 3000\n\n');
    expect(formatSseComment('keep-alive')).toBe(': keep-alive\n\n');
    expect(formatSseComment('a\nb')).toBe(': a\n: b\n\n');
  });
});

describe('SseConnection', () => {
  it('opens with the retry hint, then sends events in order', () => {
    const transport = new MemoryTransport(1 << 20);
    const connection = new SseConnection(transport, { retryMs: 1500, heartbeatMs: 0 });
    connection.open();
    expect(connection.send(event(1))).toBe(true);
    expect(connection.send(event(2))).toBe(true);
    expect(transport.written[0]).toBe('retry: 1500\n\n');
    expect(transport.events().map((e) => e.id)).toEqual(['1', '2']);
  });

  it('sends a keep-alive comment each heartbeat, none while backed up, and stops at close', () => {
    const { timers, state, tick } = manualTimers();
    const transport = new MemoryTransport(100);
    const connection = new SseConnection(transport, { heartbeatMs: 15_000, timers });
    connection.open();
    expect(state.ms).toBe(15_000);
    tick();
    expect(transport.written.at(-1)).toBe(': keep-alive\n\n');
    connection.send(event(1, 'x'.repeat(200))); // fills the transport
    const writes = transport.written.length;
    tick();
    expect(transport.written.length).toBe(writes);
    expect(connection.queuedBytes).toBe(0);
    connection.close();
    expect(state.cleared).toBe(true);
  });

  it('queues while the transport is full and flushes the queue in order, in one write, on drain', async () => {
    const transport = new MemoryTransport(64);
    const connection = new SseConnection(transport, { heartbeatMs: 0 });
    connection.open();
    connection.send(event(1, 'x'.repeat(80)));
    expect(connection.backpressured).toBe(true);
    let writable = false;
    const waiting = connection.whenWritable().then(() => { writable = true; });
    for (const id of [2, 3, 4]) connection.send(event(id));
    const queued = [2, 3, 4].reduce((sum, id) => sum + Buffer.byteLength(formatSseEvent(event(id))), 0);
    expect(connection.queuedBytes).toBe(queued);
    const writesBefore = transport.written.length;
    await Promise.resolve();
    expect(writable).toBe(false);

    transport.read();
    // The flushed queue is more than the transport takes at once: full again, still waiting.
    expect(transport.written.length).toBe(writesBefore + 1);
    expect(connection.queuedBytes).toBe(0);
    expect(connection.backpressured).toBe(true);
    await Promise.resolve();
    expect(writable).toBe(false);
    transport.read();
    await waiting;
    expect(writable).toBe(true);
    expect(transport.events().map((e) => e.id)).toEqual(['1', '2', '3', '4']);
  });

  it('holds at most maxBufferedBytes for a client that stopped reading, then destroys the connection', () => {
    const transport = new MemoryTransport(64);
    const one = Buffer.byteLength(formatSseEvent(event(100)));
    const connection = new SseConnection(transport, { heartbeatMs: 0, maxBufferedBytes: one * 10 + 5 });
    const reasons: string[] = [];
    connection.onClose((reason) => reasons.push(reason));
    connection.open();
    connection.send(event(1, 'x'.repeat(80)));
    const accepted: number[] = [];
    for (let id = 100; id < 200; id++) {
      if (connection.send(event(id))) accepted.push(id);
      expect(connection.peakQueuedBytes).toBeLessThanOrEqual(one * 10 + 5);
    }
    expect(accepted).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(connection.peakQueuedBytes).toBe(one * 10);
    expect(reasons).toEqual(['overflow']);
    expect(transport.destroyed).toBe(true);
    expect(connection.closed).toBe(true);
    expect(connection.queuedBytes).toBe(0);
  });

  it('close() ends a flowing stream but destroys a full one; listeners hear the reason once', () => {
    const flowing = new MemoryTransport(1 << 20);
    const a = new SseConnection(flowing, { heartbeatMs: 0 });
    const reasonsA: string[] = [];
    a.onClose((r) => reasonsA.push(r));
    a.open();
    a.close();
    a.close();
    expect([flowing.ended, flowing.destroyed, reasonsA]).toEqual([true, false, ['server']]);
    expect(a.send(event(1))).toBe(false);

    const full = new MemoryTransport(8);
    const b = new SseConnection(full, { heartbeatMs: 0 });
    b.open();
    b.close();
    expect([full.ended, full.destroyed, b.closeReason]).toEqual([false, true, 'server']);
  });

  it('notices the client leaving and releases whoever waits for drain', async () => {
    const transport = new MemoryTransport(8);
    const connection = new SseConnection(transport, { heartbeatMs: 0 });
    connection.open();
    const waiting = connection.whenWritable();
    transport.emit('close');
    await waiting;
    expect(connection.closeReason).toBe('client');
    const late: string[] = [];
    connection.onClose((r) => late.push(r));
    expect(late).toEqual(['client']);
  });
});
