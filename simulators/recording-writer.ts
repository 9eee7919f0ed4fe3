import { closeSync, openSync, writeSync } from 'node:fs';
import type { IncidentLabel, RecordedMessage } from '../src/contracts/recording.js';

export interface RecordingStats {
  messages: number;
  /** Readings inside them (a batch carries many). */
  readings: number;
  bytes: number;
  /** Event time of the first and last message written. */
  firstT?: number;
  lastT?: number;
}

/** Flush to the file in chunks of about this many characters: one write per megabyte, not per line. */
const CHUNK_CHARS = 1 << 20;

/**
 * Writes messages as NDJSON (`RecordedMessage` per line) to `path`, synchronously in 1 MB chunks:
 * the simulation is CPU-bound, so there is nothing to overlap, and a synchronous loop keeps the
 * order and the bytes exactly as generated. `onProgress` is called every `progressEvery` messages.
 */
export function writeRecording(
  messages: Iterable<RecordedMessage>,
  path: string,
  onProgress?: (stats: Readonly<RecordingStats>) => void,
  progressEvery = 100_000,
): RecordingStats {
  const stats: RecordingStats = { messages: 0, readings: 0, bytes: 0 };
  const fd = openSync(path, 'w');
  try {
    let chunk = '';
    for (const message of messages) {
      const line = `${JSON.stringify(message)}\n`;
      chunk += line;
      stats.messages++;
      stats.readings += readingsIn(message.payload);
      stats.firstT ??= message.t;
      stats.lastT = message.t;
      if (chunk.length >= CHUNK_CHARS) {
        stats.bytes += writeSync(fd, chunk);
        chunk = '';
      }
      if (onProgress && stats.messages % progressEvery === 0) onProgress(stats);
    }
    if (chunk.length > 0) stats.bytes += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return stats;
}

/** The labels file: one IncidentLabel per line. */
export function writeLabels(labels: readonly IncidentLabel[], path: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, labels.map((label) => `${JSON.stringify(label)}\n`).join(''));
  } finally {
    closeSync(fd);
  }
}

export function readingsIn(payload: unknown): number {
  const readings = (payload as { readings?: unknown[] }).readings;
  return Array.isArray(readings) ? readings.length : 1;
}
