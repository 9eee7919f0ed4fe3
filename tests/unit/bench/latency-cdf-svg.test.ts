import { describe, expect, it } from 'vitest';
import { latencyCdfSvg } from '../../../bench/latency-cdf-svg.js';

/** Parses the polyline points of the SVG: one array of [x, y] per series. */
function lines(svg: string): [number, number][][] {
  return [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]));
}

describe('latency CDF picture', () => {
  const fast = Array.from({ length: 1000 }, (_, i) => 0.5 + i / 1000); // 0.5 … 1.5 ms
  const slow = Array.from({ length: 1000 }, (_, i) => 5 + i / 10); // 5 … 105 ms

  it('draws one line per series that has samples, labelled with its sample count', () => {
    const svg = latencyCdfSvg('t', [{ label: 'fast', samples: fast }, { label: 'empty', samples: [] }, { label: 'slow <x>', samples: slow }]);
    expect(lines(svg)).toHaveLength(2);
    expect(svg).toContain('fast (n=1000)');
    expect(svg).toContain('slow &lt;x&gt; (n=1000)');
    expect(svg).not.toContain('empty');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  });

  it('is a CDF: x grows with latency and the line only climbs (SVG y shrinks), from bottom to the top of the axis', () => {
    const [a, b] = lines(latencyCdfSvg('t', [{ label: 'fast', samples: [...fast].reverse() }, { label: 'slow', samples: slow }]));
    for (const line of [a!, b!]) {
      for (let i = 1; i < line.length; i++) {
        expect(line[i]![0]).toBeGreaterThanOrEqual(line[i - 1]![0]);
        expect(line[i]![1]).toBeLessThanOrEqual(line[i - 1]![1]);
      }
    }
    // The slower series lies to the right of the faster one at every share.
    expect(b![0]![0]).toBeGreaterThan(a!.at(-1)![0]);
    // Both reach the same top (the maximum) of the nines axis.
    expect(a!.at(-1)![1]).toBe(b!.at(-1)![1]);
  });

  it('puts the median half-way between 0 % and 99 % no more: the y axis is in nines, so the tail gets the room', () => {
    const svg = latencyCdfSvg('t', [{ label: 'fast', samples: fast }]);
    const y = (label: string) => Number(new RegExp(`y="([\\d.]+)" text-anchor="end">${label.replace('.', '\\.')}%<`).exec(svg)![1]);
    // 0 %, 90 %, 99 %, 99.9 % are evenly spaced; 50 % sits much closer to 0 % than to 90 %.
    expect(y('0') - y('90')).toBeCloseTo(y('90') - y('99'), 0);
    expect(y('99') - y('99.9')).toBeCloseTo(y('90') - y('99'), 0);
    expect(y('0') - y('50')).toBeLessThan((y('0') - y('90')) / 2);
  });
});
