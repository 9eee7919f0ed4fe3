import { open } from 'node:fs/promises';
import type { RecordedMessage } from '../contracts/recording.js';
import { ERR_VALIDATION, withDetails } from '../core/errors.js';

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
 * The messages of one chunk of a recording, as offsets into the bytes read: message `i`'s time is
 * a number, its topic and payload are made when asked for (a view of the same bytes, no copy).
 */
export interface RecordingChunk {
  readonly length: number;
  time(i: number): number;
  topic(i: number): string;
  payload(i: number): Buffer;
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

/**
 * A chunk's messages in flat typed arrays (time, topic and payload offsets) over the chunk's bytes:
 * 24 bytes a message, where an object per message with its topic string and payload view took
 * about 190 (allocation profile), all of it live until the chunk was done — so the young-generation
 * GC copied it. Lines in another shape than `simulate --fast` writes are parsed in full and kept aside.
 */
class Chunk implements RecordingChunk {
  length = 0;
  private times: Float64Array;
  /** topic from, topic to, payload from, payload to: four per message. */
  private offsets: Int32Array;
  /** Messages of lines outside the fast shape, by index (rare: absent in a simulated recording). */
  private parsed: Map<number, ReplayMessage> | undefined;

  constructor(private readonly bytes: Buffer, capacity: number) {
    this.times = new Float64Array(capacity);
    this.offsets = new Int32Array(capacity * 4);
  }

  time(i: number): number {
    return this.times[i]!;
  }

  topic(i: number): string {
    const parsed = this.parsed?.get(i);
    // ASCII checked when the line was read: latin1 and UTF-8 give the same string, latin1 without decoding.
    return parsed !== undefined ? parsed.topic : this.bytes.toString('latin1', this.offsets[4 * i]!, this.offsets[4 * i + 1]!);
  }

  payload(i: number): Buffer {
    const parsed = this.parsed?.get(i);
    return parsed !== undefined ? parsed.payload : this.bytes.subarray(this.offsets[4 * i + 2]!, this.offsets[4 * i + 3]!);
  }

  message(i: number): ReplayMessage {
    return { t: this.time(i), topic: this.topic(i), payload: this.payload(i) };
  }

  /** Adds the line `bytes[start, end)`; throws ERR_VALIDATION (with `lineNumber`) on a bad line. */
  addLine(start: number, end: number, lineNumber: number): void {
    if (this.length === this.times.length) this.grow();
    if (this.addFastLine(start, end)) return;
    const line = this.bytes.toString('utf8', start, end);
    if (line.trim() === '') return;
    const message = parseRecordingLine(line, lineNumber);
    (this.parsed ??= new Map()).set(this.length, message);
    this.times[this.length++] = message.t;
  }

  /**
   * The line in `simulate --fast`'s shape, read straight from the bytes: `t` from its digits, the
   * topic when it is plain ASCII, the payload's extent. Anything else — an escaped or non-ASCII
   * topic, keys in another order, a very long `t` — is left to `parseRecordingLine` (false), which
   * gives the same result the slow way.
   */
  private addFastLine(start: number, end: number): boolean {
    const buf = this.bytes;
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
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c >= 0x80) return false;
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
    return true;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    const offsets = new Int32Array(this.offsets.length * 2);
    offsets.set(this.offsets);
    this.times = times;
    this.offsets = offsets;
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
    for (;;) {
      // A line longer than a chunk doubles the next buffer until it fits.
      const buf = Buffer.allocUnsafe(Math.max(chunkBytes, carry.length * 2));
      carry.copy(buf, 0);
      const { bytesRead } = await handle.read(buf, carry.length, buf.length - carry.length, null);
      const filled = carry.length + bytesRead;
      // At the end of the file the last line needs no newline.
      const complete = bytesRead === 0 ? filled : buf.lastIndexOf(NEWLINE, filled - 1) + 1;
      const chunk = new Chunk(buf, expectedMessages(complete));
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
