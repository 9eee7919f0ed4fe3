/**
 * The latency CDF picture each latency run writes beside its JSON: one line per measured series
 * (riskwatch at each rate, the bare broker hops, Node-RED), x = latency on a log scale, y = share of
 * samples at or below it, on a scale of nines. Plain SVG, written by hand: no plotting dependency for one chart, and the
 * file renders on GitHub and in any browser.
 */
export interface CdfSeries {
  label: string;
  /** Latencies in ms, any order. */
  samples: readonly number[];
}

const WIDTH = 820;
const HEIGHT = 460;
const MARGIN = { left: 60, right: 250, top: 40, bottom: 50 };
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
/** The top of the y axis: 99.99 % (and the maximum). */
const TOP_NINES = 4;
/** At most this many points per line: a CDF of 100 000 samples needs no more to look the same. */
const MAX_POINTS = 400;

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Decades (0.01, 0.1, 1, …) spanning [min, max]. */
function decades(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) ticks.push(10 ** e);
  return ticks;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
const tickLabel = (ms: number) => (ms >= 1 ? `${ms.toLocaleString('en')} ms` : `${ms} ms`);

export function latencyCdfSvg(title: string, series: readonly CdfSeries[]): string {
  const drawn = series.filter((s) => s.samples.length > 0).map((s) => ({ label: s.label, sorted: Float64Array.from(s.samples).sort() }));
  // Latencies below 10 µs are clock noise; the axis starts a decade under the smallest real sample.
  const lowest = Math.max(0.01, Math.min(...drawn.map((s) => s.sorted[0]!), 1));
  const highest = Math.max(...drawn.map((s) => s.sorted.at(-1)!), 10);
  const ticks = decades(lowest, highest);
  const logMin = Math.log10(ticks[0]!);
  const logMax = Math.log10(ticks.at(-1)!);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (ms: number) => MARGIN.left + ((Math.log10(Math.max(ms, ticks[0]!)) - logMin) / (logMax - logMin)) * plotW;
  // The y axis is "nines" (HdrHistogram style): 50 %, 90 %, 99 %, 99.9 % equally spaced, so the
  // tail, which is what a latency target is about, is not squeezed into the top pixel.
  const nines = (share: number) => Math.min(-Math.log10(Math.max(1 - share, 10 ** -TOP_NINES)), TOP_NINES);
  const y = (share: number) => MARGIN.top + (1 - nines(share) / TOP_NINES) * plotH;
  const f = (n: number) => n.toFixed(1);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const tick of ticks) {
    parts.push(`<line x1="${f(x(tick))}" y1="${MARGIN.top}" x2="${f(x(tick))}" y2="${MARGIN.top + plotH}" stroke="#ddd"/>`);
    parts.push(`<text x="${f(x(tick))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${tickLabel(tick)}</text>`);
  }
  for (const share of [0, 0.5, 0.9, 0.99, 0.999, 0.9999]) {
    parts.push(`<line x1="${MARGIN.left}" y1="${f(y(share))}" x2="${MARGIN.left + plotW}" y2="${f(y(share))}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${f(y(share) + 4)}" text-anchor="end">${round4(share * 100)}%</text>`);
  }
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">latency (log scale)</text>`);
  drawn.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const n = s.sorted.length;
    const step = Math.max(1, Math.floor(n / MAX_POINTS));
    const points: string[] = [];
    // Thinned up to the last 1 %, then every sample: the tail is where the nines are decided.
    const tailStart = Math.max(0, n - Math.ceil(n / 100) - 1);
    for (let k = 0; k < tailStart; k += step) points.push(`${f(x(s.sorted[k]!))},${f(y((k + 1) / n))}`);
    for (let k = tailStart; k < n; k++) points.push(`${f(x(s.sorted[k]!))},${f(y((k + 1) / n))}`);
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.6" points="${points.join(' ')}"/>`);
    const ly = MARGIN.top + 10 + i * 18;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 14}" y1="${ly}" x2="${WIDTH - MARGIN.right + 34}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 40}" y="${ly + 4}">${escapeXml(s.label)} (n=${n})</text>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
