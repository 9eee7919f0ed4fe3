import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../../../src/ingest/rfc3339.js';

describe('parseRfc3339', () => {
  it('agrees with Date.parse on well-formed date-times', () => {
    for (const text of ['2024-11-22T10:00:00Z', '2024-11-22T18:00:00+08:00', '2024-11-22T04:30:00.5-05:30', '2024-02-29T23:59:59.999Z', '1999-12-31T23:59:59+14:00']) {
      expect(parseRfc3339(text), text).toBe(Date.parse(text));
    }
  });

  it('accepts lower-case separators and truncates sub-millisecond fractions', () => {
    expect(parseRfc3339('2024-11-22t10:00:00z')).toBe(Date.UTC(2024, 10, 22, 10));
    expect(parseRfc3339('2024-11-22T10:00:00.123456789Z')).toBe(Date.UTC(2024, 10, 22, 10, 0, 0, 123));
  });

  it('rejects impossible dates that Date.parse would roll over', () => {
    for (const text of ['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-04-31T00:00:00Z', '2024-11-22T24:00:00Z', '2024-11-22T10:60:00Z', '2024-11-22T10:00:60Z', '2024-13-01T00:00:00Z', '2024-11-22T10:00:00+24:00']) {
      expect(parseRfc3339(text), text).toBeNaN();
    }
  });

  it('rejects other formats', () => {
    for (const text of ['2024-11-22', '2024-11-22T10:00:00', '2024-11-22 10:00:00Z', '1732269600000', 'Fri, 22 Nov 2024 10:00:00 GMT', '2024-11-22T10:00Z']) {
      expect(parseRfc3339(text), text).toBeNaN();
    }
  });

  it('is exact for years before 100, where Date.UTC would add 1900', () => {
    expect(parseRfc3339('0050-03-01T00:00:00Z')).toBe(Date.parse('0050-03-01T00:00:00Z'));
  });
});
