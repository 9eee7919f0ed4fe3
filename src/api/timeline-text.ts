import type { OrderTimeline } from '../contracts/timeline.js';

/** One line per entry: `2026-09-30 17:00 阳光社区第一网格 接单（…）`, local time of the place. */
export function timelineAsText(timeline: OrderTimeline): string {
  return timeline.entries.map((e) => `${e.time.slice(0, 10)} ${e.time.slice(11, 16)} ${e.text}\n`).join('');
}
