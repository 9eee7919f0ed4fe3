import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RecordedMessage } from '../contracts/recording.js';
import { ERR_VALIDATION, withDetails } from '../core/errors.js';

/** One recorded message as replay feeds it: the payload as the bytes a device would publish. */
export interface ReplayMessage {
  t: number;
  topic: string;
  payload: Buffer;
}

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

/** The messages of an NDJSON recording file, in file order; blank lines are skipped. */
export async function* readRecording(file: string): AsyncGenerator<ReplayMessage> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    yield parseRecordingLine(line, lineNumber);
  }
}
