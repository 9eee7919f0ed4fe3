import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecordingLine, readRecording, type ReplayMessage } from '../../../src/ingest/recording-reader.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const plain = (m: ReplayMessage) => ({ t: m.t, topic: m.topic, payload: m.payload.toString('utf8') });

async function viaChunks(file: string, chunkBytes?: number) {
  const out: ReturnType<typeof plain>[] = [];
  let chunks = 0;
  for await (const chunk of readRecording(file, chunkBytes === undefined ? {} : { chunkBytes }).chunks()) {
    chunks++;
    for (let i = 0; i < chunk.length; i++) out.push({ t: chunk.time(i), topic: chunk.topic(i), payload: chunk.payload(i).toString('utf8') });
  }
  return { messages: out, chunks };
}

async function viaIteration(file: string, chunkBytes?: number) {
  const out: ReturnType<typeof plain>[] = [];
  for await (const message of readRecording(file, chunkBytes === undefined ? {} : { chunkBytes })) out.push(plain(message));
  return out;
}

async function failure(file: string, chunkBytes: number): Promise<{ code?: string; details?: unknown }> {
  try {
    await viaIteration(file, chunkBytes);
  } catch (err) {
    return err as { code?: string; details?: unknown };
  }
  throw new Error('expected the recording to be refused');
}

describe('recording reader', () => {
  const dir = useTempDir('rw-recording-');

  it('reads simulate lines and every other shape as parseRecordingLine does, at any chunk size', async () => {
    const lines = [
      '{"t":1772380800000,"topic":"rw/telemetry/gd-000381","payload":{"ts":1772380800000,"metrics":{"gas_lel_pct":0.1,"co_ppm":0.4}}}',
      '', // blank lines are skipped
      '   ',
      '{"t":1772380801000,"topic":"rw/telemetry/wm-000001","payload":{"readings":[{"ts":1,"metrics":{"flow_lpm":0}},{"ts":2,"metrics":{"flow_lpm":1}}]}}\r',
      '{"topic":"rw/telemetry/wm-2","payload":{"ts":5,"metrics":{}},"t":1772380802000}', // keys in another order
      '{"t":1772380803000,"topic":"rw/telemetry/a\\"b","payload":{"metrics":{"x":1}}}', // escaped topic
      '{"t":1772380804000,"topic":"rw/telemetry/水表-1","payload":{"metrics":{"flow_lpm":2}}}', // non-ASCII topic
      '{"t":1772380805000,"topic":"rw/telemetry/wm-3","payload":"{\\"metrics\\":{\\"flow_lpm\\":3}}"}', // a JSON string payload: its JSON text, like any payload
      '{"t":1772380806000, "topic":"rw/telemetry/wm-4", "payload":{"metrics":{"flow_lpm":4}}}', // spaces
      '{"t":12345678901234567,"topic":"rw/telemetry/wm-5","payload":{"metrics":{}}}', // beyond 15 digits: Number() as before
      `{"t":1772380807000,"topic":"rw/telemetry/wm-6","payload":{"metrics":{"flow_lpm":5},"pad":"${'x'.repeat(3000)}"}}`, // longer than a chunk
    ];
    const file = join(dir(), 'mixed.ndjson');
    writeFileSync(file, lines.join('\n')); // no newline after the last line
    const expected = lines
      .map((line, i) => ({ line: line.replace(/\r$/, ''), number: i + 1 }))
      .filter(({ line }) => line.trim() !== '')
      .map(({ line, number }) => plain(parseRecordingLine(line, number)));
    expect(expected).toHaveLength(9);
    expect(expected[3]).toEqual({ t: 1772380803000, topic: 'rw/telemetry/a"b', payload: '{"metrics":{"x":1}}' });
    expect(expected[4]!.topic).toBe('rw/telemetry/水表-1');

    for (const chunkBytes of [64, 100, 1000, 1 << 20]) {
      const { messages, chunks } = await viaChunks(file, chunkBytes);
      expect(messages, `chunks of ${chunkBytes} bytes`).toEqual(expected);
      expect(await viaIteration(file, chunkBytes)).toEqual(expected);
      if (chunkBytes === 64) expect(chunks).toBeGreaterThan(1);
    }
    expect(plain((await readRecording(file).first())!)).toEqual(expected[0]);
  });

  it('hands the payload over as the bytes of the line, without a copy per message', async () => {
    const file = join(dir(), 'views.ndjson');
    const line = (n: number) => `{"t":${1000 + n},"topic":"rw/telemetry/wm-${n}","payload":{"ts":${1000 + n},"metrics":{"flow_lpm":${n}}}}`;
    writeFileSync(file, `${Array.from({ length: 50 }, (_, n) => line(n)).join('\n')}\n`);
    for await (const chunk of readRecording(file).chunks()) {
      expect(chunk.length).toBe(50);
      const first = chunk.payload(0);
      const last = chunk.payload(49);
      expect(first.buffer).toBe(last.buffer); // views of one chunk
      expect(last.toString()).toBe('{"ts":1049,"metrics":{"flow_lpm":49}}');
      expect(chunk.topic(49)).toBe('rw/telemetry/wm-49');
      expect(chunk.time(49)).toBe(1049);
    }
  });

  it('refuses a bad line with ERR_VALIDATION and its line number, wherever the chunk boundaries fall', async () => {
    const file = join(dir(), 'bad.ndjson');
    const good = '{"t":1,"topic":"rw/telemetry/wm-1","payload":{"metrics":{"flow_lpm":0}}}';
    writeFileSync(file, [good, good, '', good, '{"t":"soon","topic":"x","payload":{}}', good].join('\n'));
    for (const chunkBytes of [32, 200, 1 << 20]) {
      expect(await failure(file, chunkBytes)).toMatchObject({ code: 'ERR_VALIDATION', details: { line: 5 } });
    }
    writeFileSync(file, `${good}\nnot json\n`);
    expect(await failure(file, 1 << 20)).toMatchObject({ code: 'ERR_VALIDATION', details: { line: 2 } });
  });

  it('has nothing to give for an empty file', async () => {
    const file = join(dir(), 'empty.ndjson');
    writeFileSync(file, '\n\n');
    expect(await readRecording(file).first()).toBeUndefined();
    expect(await viaChunks(file)).toEqual({ messages: [], chunks: 0 });
  });
});
