import { open } from 'node:fs/promises';
import type { RecordedMessage } from '../contracts/recording.js';
import type { DeviceContext } from '../contracts/registry.js';
import { ERR_VALIDATION, withDetails } from '../core/errors.js';
import type { MetricRules } from './telemetry-json.js';

/** One recorded message as replay feeds it: the payload as the bytes a device would publish. */
export interface ReplayMessage {
  t: number;
  topic: string;
  payload: Buffer;
}

/**
 * A recording file, read a chunk (about a megabyte) at a time. Iterate it for messages one by one,
 * or take `chunks()`, what replay does: one await per chunk of thousands of messages instead of one
 * per message, and no object per message until the message is fed. Each iteration reads the file
 * afresh.
 */
export interface RecordingSource extends AsyncIterable<ReplayMessage> {
  /** The first message, or undefined for a file without any. */
  first(): Promise<ReplayMessage | undefined>;
  chunks(): AsyncIterable<RecordingChunk>;
}

/**
 * One distinct topic of a recording, as the reader met it: the same object for every message on
 * the topic. Its `route` slot lets the one who reads the messages (the telemetry decoder) remember
 * what the topic resolved to, so that it is not looked up again message after message.
 */
export class RecordedTopic {
  /**
   * The route, as its owner (the decoder that wrote it; nobody else reads it) keeps it: while the
   * registry's generation is still `routeGeneration`, what a reading of the topic's device needs
   * (its context, id, numbers and metric rules). On the topic object itself, because the topic is
   * what every message of the device already leads to: one object read per message instead of a
   * lookup and a read of each object they are in (telemetry-decoder.ts).
   */
  routeOwner: object | undefined = undefined;
  routeGeneration = -1;
  routeContext: DeviceContext | undefined = undefined;
  routeDeviceId = '';
  routeDeviceNo: number | undefined = undefined;
  routeSubjectNo: number | undefined = undefined;
  routeRules: MetricRules | undefined = undefined;

  constructor(readonly topic: string) {}
}

/**
 * The messages of one chunk of a recording, as offsets into the bytes read: message `i`'s time is
 * a number, its topic and payload are made when asked for (a view of the same bytes, no copy).
 */
export interface RecordingChunk {
  readonly length: number;
  time(i: number): number;
  topic(i: number): string;
  payload(i: number): Buffer;
  /**
   * Optional, what replay feeds the engine when a chunk has it: message `i` as its recorded topic
   * (undefined when the reader did not intern it) and its payload as `bytes(i)` from
   * `payloadFrom(i)` to `payloadTo(i)` — no view and no topic lookup per message.
   */
  recordedTopic?(i: number): RecordedTopic | undefined;
  bytes?(i: number): Buffer;
  payloadFrom?(i: number): number;
  payloadTo?(i: number): number;
}

/** Bytes read per chunk: about 6 000 messages of a simulated fleet. */
const CHUNK_BYTES = 1 << 20;

/**
 * `{"t":…,"topic":"…","payload":…}` as `simulate --fast` writes it: t, topic and the payload's
 * text are cut out without parsing the payload, which the engine's decoder parses anyway (parsing
 * it here too would double the cost of replay). Any other shape of line is parsed in full.
 */
const FAST_LINE = /^\{"t":(\d+),"topic":"((?:[^"\\]|\\.)*)","payload":(.*)\}$/;

/** Parses one line of a recording (see contracts/recording.ts); throws ERR_VALIDATION on a bad one. */
export function parseRecordingLine(line: string, lineNumber: number): ReplayMessage {
  const fast = FAST_LINE.exec(line);
  if (fast) {
    const topic = fast[2]!.includes('\\') ? (JSON.parse(`"${fast[2]}"`) as string) : fast[2]!;
    return { t: Number(fast[1]), topic, payload: Buffer.from(fast[3]!, 'utf8') };
  }
  let parsed: Partial<RecordedMessage>;
  try {
    parsed = JSON.parse(line) as Partial<RecordedMessage>;
  } catch (err) {
    throw withDetails(ERR_VALIDATION(`recording line ${lineNumber} is not JSON: ${(err as Error).message}`), { line: lineNumber });
  }
  if (typeof parsed.t !== 'number' || !Number.isFinite(parsed.t) || typeof parsed.topic !== 'string' || parsed.payload === undefined) {
    throw withDetails(ERR_VALIDATION(`recording line ${lineNumber} needs a numeric "t", a "topic" and a "payload"`), { line: lineNumber });
  }
  const payload = typeof parsed.payload === 'string' ? parsed.payload : JSON.stringify(parsed.payload);
  return { t: parsed.t, topic: parsed.topic, payload: Buffer.from(payload, 'utf8') };
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;
const HEAD = Buffer.from('{"t":', 'latin1');
const TOPIC_KEY = Buffer.from(',"topic":"', 'latin1');
const PAYLOAD_KEY = Buffer.from(',"payload":', 'latin1');
/** Up to 15 digits a running `t * 10 + d` stays an exact integer (below 2^53). */
const MAX_EXACT_DIGITS = 15;

function matchesAt(buf: Buffer, at: number, end: number, expected: Buffer): boolean {
  if (at + expected.length > end) return false;
  for (let i = 0; i < expected.length; i++) if (buf[at + i] !== expected[i]) return false;
  return true;
}

/** Distinct topics a recording's reader keeps one string of; past this many, topics are sliced per message. */
const MAX_INTERNED_TOPICS = 1 << 20;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * One `RecordedTopic` per distinct topic of a recording (a fleet's devices publish to the same
 * topics all day): a message's topic is found by the hash of its bytes, taken while the line is
 * read, instead of a new string per message (replay profile: a fresh topic string per message,
 * hashed again by every lookup, cost more than parsing its payload). The engine then meets the
 * same topic object again and again and keeps the topic's route on it. The known topics' bytes sit
 * side by side in one arena, so telling a topic apart from a colliding one reads a dense array, not
 * a string object per message.
 */
class TopicTable {
  readonly topics: RecordedTopic[] = [];
  private hashes: Int32Array = new Int32Array(256);
  /** Where each topic's bytes start in `arena`, and how many there are. */
  private starts: Int32Array = new Int32Array(256);
  private lengths: Int32Array = new Int32Array(256);
  private arena = new Uint8Array(1 << 14);
  private arenaUsed = 0;
  /** Open addressing: index into `topics` + 1, 0 for an empty slot. */
  private slots = new Int32Array(1 << 10);

  /** The index of the ASCII topic `bytes[from, to)` whose FNV-1a hash is `hash`, or -1 when the table is full. */
  intern(bytes: Buffer, from: number, to: number, hash: number): number {
    const mask = this.slots.length - 1;
    const length = to - from;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]! - 1;
      if (entry < 0) break;
      if (this.hashes[entry] !== hash || this.lengths[entry] !== length) continue;
      const arena = this.arena;
      const start = this.starts[entry]!;
      let k = 0;
      while (k < length && arena[start + k] === bytes[from + k]) k++;
      if (k === length) return entry;
    }
    const index = this.topics.length;
    if (index >= MAX_INTERNED_TOPICS) return -1;
    this.topics.push(new RecordedTopic(bytes.toString('latin1', from, to)));
    if (index >= this.hashes.length) {
      this.hashes = grown(this.hashes, this.hashes.length * 2);
      this.starts = grown(this.starts, this.hashes.length);
      this.lengths = grown(this.lengths, this.hashes.length);
    }
    if (this.arenaUsed + length > this.arena.length) {
      const arena = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + length));
      arena.set(this.arena);
      this.arena = arena;
    }
    this.arena.set(bytes.subarray(from, to), this.arenaUsed);
    this.hashes[index] = hash;
    this.starts[index] = this.arenaUsed;
    this.lengths[index] = length;
    this.arenaUsed += length;
    // At most half full, so probes stay short.
    if (2 * (index + 1) > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(index);
    return index;
  }

  private place(index: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[index]! & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = index + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let i = 0; i < this.topics.length; i++) this.place(i);
  }
}

function grown(array: Int32Array, size: number): Int32Array {
  const bigger = new Int32Array(size);
  bigger.set(array);
  return bigger;
}

/**
 * A chunk's messages in flat typed arrays (time, topic and payload offsets) over the chunk's bytes:
 * 28 bytes a message, where an object per message with its topic string and payload view took
 * about 190 (allocation profile), all of it live until the chunk was done — so the young-generation
 * GC copied it. Topics are the reader's interned strings (`TopicTable`). Lines in another shape
 * than `simulate --fast` writes are parsed in full and kept aside.
 */
class Chunk implements RecordingChunk {
  length = 0;
  private times: Float64Array;
  /** topic from, topic to, payload from, payload to: four per message. */
  private offsets: Int32Array;
  /** The topic's index in `topics`, -1 when it is not interned. */
  private topicIds: Int32Array;
  /** Messages of lines outside the fast shape, by index (rare: absent in a simulated recording). */
  private parsed: Map<number, ReplayMessage> | undefined;

  constructor(private readonly buffer: Buffer, capacity: number, private readonly topics: TopicTable) {
    this.times = new Float64Array(capacity);
    this.offsets = new Int32Array(capacity * 4);
    this.topicIds = new Int32Array(capacity);
  }

  time(i: number): number {
    return this.times[i]!;
  }

  topic(i: number): string {
    const id = this.topicIds[i]!;
    if (id >= 0) return this.topics.topics[id]!.topic;
    const parsed = this.parsed?.get(i);
    // ASCII checked when the line was read: latin1 and UTF-8 give the same string, latin1 without decoding.
    return parsed !== undefined ? parsed.topic : this.buffer.toString('latin1', this.offsets[4 * i]!, this.offsets[4 * i + 1]!);
  }

  payload(i: number): Buffer {
    const parsed = this.parsed?.get(i);
    return parsed !== undefined ? parsed.payload : this.buffer.subarray(this.offsets[4 * i + 2]!, this.offsets[4 * i + 3]!);
  }

  recordedTopic(i: number): RecordedTopic | undefined {
    const id = this.topicIds[i]!;
    return id >= 0 ? this.topics.topics[id] : undefined;
  }

  /** The bytes message `i`'s payload lies in: the chunk's, or its own for a line parsed in full. */
  bytes(i: number): Buffer {
    const parsed = this.parsed?.get(i);
    return parsed !== undefined ? parsed.payload : this.buffer;
  }

  payloadFrom(i: number): number {
    return this.parsed?.get(i) !== undefined ? 0 : this.offsets[4 * i + 2]!;
  }

  payloadTo(i: number): number {
    const parsed = this.parsed?.get(i);
    return parsed !== undefined ? parsed.payload.length : this.offsets[4 * i + 3]!;
  }

  message(i: number): ReplayMessage {
    return { t: this.time(i), topic: this.topic(i), payload: this.payload(i) };
  }

  /** Adds the line `bytes[start, end)`; throws ERR_VALIDATION (with `lineNumber`) on a bad line. */
  addLine(start: number, end: number, lineNumber: number): void {
    if (this.length === this.times.length) this.grow();
    if (this.addFastLine(start, end)) return;
    const line = this.buffer.toString('utf8', start, end);
    if (line.trim() === '') return;
    const message = parseRecordingLine(line, lineNumber);
    (this.parsed ??= new Map()).set(this.length, message);
    this.topicIds[this.length] = -1;
    this.times[this.length++] = message.t;
  }

  /**
   * The line in `simulate --fast`'s shape, read straight from the bytes: `t` from its digits, the
   * topic when it is plain ASCII, the payload's extent. Anything else — an escaped or non-ASCII
   * topic, keys in another order, a very long `t` — is left to `parseRecordingLine` (false), which
   * gives the same result the slow way.
   */
  private addFastLine(start: number, end: number): boolean {
    const buf = this.buffer;
    if (!matchesAt(buf, start, end, HEAD)) return false;
    let i = start + HEAD.length;
    const digitsFrom = i;
    let t = 0;
    for (; i < end; i++) {
      const c = buf[i]! - 0x30;
      if (c < 0 || c > 9) break;
      t = t * 10 + c;
    }
    if (i === digitsFrom || i - digitsFrom > MAX_EXACT_DIGITS || !matchesAt(buf, i, end, TOPIC_KEY)) return false;
    i += TOPIC_KEY.length;
    const topicFrom = i;
    let hash = FNV_OFFSET;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c >= 0x80) return false;
      hash = Math.imul(hash ^ c, FNV_PRIME);
    }
    if (i >= end) return false;
    const topicTo = i;
    if (!matchesAt(buf, i + 1, end, PAYLOAD_KEY)) return false;
    const payloadFrom = i + 1 + PAYLOAD_KEY.length;
    if (end - 1 < payloadFrom || buf[end - 1] !== CLOSE_BRACE) return false;
    const n = this.length++;
    this.times[n] = t;
    const offsets = this.offsets;
    offsets[4 * n] = topicFrom;
    offsets[4 * n + 1] = topicTo;
    offsets[4 * n + 2] = payloadFrom;
    offsets[4 * n + 3] = end - 1;
    this.topicIds[n] = this.topics.intern(buf, topicFrom, topicTo, hash);
    return true;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    const offsets = new Int32Array(this.offsets.length * 2);
    offsets.set(this.offsets);
    const topicIds = new Int32Array(this.topicIds.length * 2);
    topicIds.set(this.topicIds);
    this.times = times;
    this.offsets = offsets;
    this.topicIds = topicIds;
  }
}

/** A guess at the messages in `bytes` bytes (simulated lines are 140–200 bytes); the arrays grow if needed. */
const expectedMessages = (bytes: number): number => Math.max(16, Math.ceil(bytes / 128));

/**
 * The chunks of an NDJSON recording file, in file order; blank lines are skipped. Lines end at
 * `\n` (a `\r` before it is dropped). A fresh buffer per chunk: payloads are views of it.
 */
async function* readChunks(file: string, chunkBytes: number): AsyncGenerator<Chunk> {
  const handle = await open(file, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    let lineNumber = 0;
    const topics = new TopicTable();
    for (;;) {
      // A line longer than a chunk doubles the next buffer until it fits.
      const buf = Buffer.allocUnsafe(Math.max(chunkBytes, carry.length * 2));
      carry.copy(buf, 0);
      const { bytesRead } = await handle.read(buf, carry.length, buf.length - carry.length, null);
      const filled = carry.length + bytesRead;
      // At the end of the file the last line needs no newline.
      const complete = bytesRead === 0 ? filled : buf.lastIndexOf(NEWLINE, filled - 1) + 1;
      const chunk = new Chunk(buf, expectedMessages(complete), topics);
      for (let from = 0; from < complete;) {
        let next = buf.indexOf(NEWLINE, from);
        if (next < 0 || next > complete) next = complete;
        const to = next > from && buf[next - 1] === CR ? next - 1 : next;
        chunk.addLine(from, to, ++lineNumber);
        from = next + 1;
      }
      carry = buf.subarray(complete, filled);
      if (chunk.length > 0) yield chunk;
      if (bytesRead === 0) return;
    }
  } finally {
    await handle.close();
  }
}

class RecordingFile implements RecordingSource {
  constructor(private readonly file: string, private readonly chunkBytes: number) {}

  async first(): Promise<ReplayMessage | undefined> {
    for await (const chunk of this.chunks()) return chunk.message(0);
    return undefined;
  }

  chunks(): AsyncGenerator<Chunk> {
    return readChunks(this.file, this.chunkBytes);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ReplayMessage> {
    for await (const chunk of this.chunks()) {
      for (let i = 0; i < chunk.length; i++) yield chunk.message(i);
    }
  }
}

/**
 * The messages of an NDJSON recording file (contracts/recording.ts), in file order; blank lines
 * are skipped; a malformed line throws ERR_VALIDATION with its line number.
 */
export function readRecording(file: string, options: { chunkBytes?: number } = {}): RecordingSource {
  return new RecordingFile(file, options.chunkBytes ?? CHUNK_BYTES);
}
