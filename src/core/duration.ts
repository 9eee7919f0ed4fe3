const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** The duration grammar, as a JSON Schema `pattern` too (scenario and config schemas use it). */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d|w))+$';
const DURATION = new RegExp(DURATION_PATTERN);
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** True for `90s`, `8h`, `1h30m`, `500ms`, `2d`. */
export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

/** Parses `1h30m` style durations (or a bare number of milliseconds) into milliseconds. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return text;
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) throw new Error(`"${text}" is not a duration (use e.g. 90s, 15m, 8h, 1h30m, 3d)`);
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(ms);
}

/** Formats milliseconds compactly for humans: 8h, 1h30m, 45s, 250ms. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const d = Math.floor(rest / 86_400); rest -= d * 86_400;
  const h = Math.floor(rest / 3600); rest -= h * 3600;
  const m = Math.floor(rest / 60); const s = rest - m * 60;
  return [d && `${d}d`, h && `${h}h`, m && `${m}m`, s && `${s}s`].filter(Boolean).join('') || '0s';
}
