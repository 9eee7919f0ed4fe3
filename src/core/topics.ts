import type { Level } from '../contracts/level.js';
import type { Tier } from '../contracts/registry.js';
import { ERR_BUS_TOPIC_INVALID } from './errors.js';
import { isLevel } from './levels.js';
import { TIERS } from './tiers.js';

/**
 * The public topic contract (ARCHITECTURE.md "Public contract"), under a configurable prefix:
 *
 *   {prefix}/telemetry/{deviceId}        devices → engine
 *   {prefix}/alerts/{level}/{scenarioId} engine → anyone   (engine-owned)
 *   {prefix}/orders/{tier}/{orderId}     engine → dispatch (engine-owned)
 *   {prefix}/orders/{orderId}/status     dispatch → engine
 *   {prefix}/orders/{orderId}/overdue    engine → dispatch (engine-owned): deadline warnings and misses
 *   {prefix}/deadletter/{reason}         engine → operators (engine-owned)
 *
 * Ids become single topic levels. MQTT gives `/` (level separator) and `+ #` (wildcards) a meaning
 * and forbids U+0000 [MQTT-4.7.3-2], so those characters, and `%` itself, are percent-encoded
 * (`a/b` → `a%2Fb`): the mapping is reversible, so two ids never share a topic. An order id that is
 * literally `status` is written `%73tatus`, so `{prefix}/orders/{tier}/status` can never be
 * mistaken for a status update of an order named after a tier. Telemetry topics are parsed in
 * `ingest/`; this file builds the topics and says which kind an incoming one is (`inputTopicKind`).
 */
export const DEFAULT_TOPIC_PREFIX = 'rw';

const CH_NUL = 0;
const CH_HASH = 35;
const CH_PERCENT = 37;
const CH_PLUS = 43;
const CH_SLASH = 47;

const ESCAPES: Record<string, string> = { '/': '%2F', '+': '%2B', '#': '%23', '%': '%25', '\u0000': '%00' };
const NEEDS_ESCAPE = /[/+#%\u0000]/g;
const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/g;
const STATUS = 'status';

/** One topic level for an id: reversible, never containing `/ + # %` or U+0000. */
export function encodeTopicSegment(id: string): string {
  if (id.length === 0) throw ERR_BUS_TOPIC_INVALID('topic level', id);
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === CH_SLASH || c === CH_PLUS || c === CH_HASH || c === CH_PERCENT || c === CH_NUL) {
      return id.replace(NEEDS_ESCAPE, (ch) => ESCAPES[ch]);
    }
  }
  return id;
}

/** Inverse of `encodeTopicSegment`; also accepts any `%XX` a dispatch system chose to encode. */
export function decodeTopicSegment(segment: string): string {
  if (segment.indexOf('%') === -1) return segment;
  return segment.replace(PERCENT_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** `rw/telemetry/+`: every device's telemetry, one level per device. */
export function telemetryFilter(prefix: string = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/telemetry/+`;
}

/** `rw/telemetry/{deviceId}`: where a device (or simulator) publishes. */
export function telemetryTopic(prefix: string, deviceId: string): string {
  return `${prefix}/telemetry/${encodeTopicSegment(deviceId)}`;
}

/** `rw/alerts/{level}/{scenarioId}`. */
export function alertTopic(prefix: string, level: Level, scenarioId: string): string {
  return `${prefix}/alerts/${level}/${encodeTopicSegment(scenarioId)}`;
}

/** `rw/orders/{tier}/{orderId}`. */
export function orderTopic(prefix: string, tier: Tier, orderId: string): string {
  const segment = orderId === STATUS ? '%73tatus' : encodeTopicSegment(orderId);
  return `${prefix}/orders/${tier}/${segment}`;
}

/** `rw/orders/{orderId}/overdue`: a deadline warning or miss (超时预警 / 督办) of one order. */
export function orderOverdueTopic(prefix: string, orderId: string): string {
  return `${prefix}/orders/${encodeTopicSegment(orderId)}/overdue`;
}

/** `rw/orders/+/overdue`: every order's deadline warnings and misses. */
export function orderOverdueFilter(prefix: string = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/orders/+/overdue`;
}

/** `rw/orders/+/status`: status updates from dispatch systems. */
export function orderStatusFilter(prefix: string = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/orders/+/status`;
}

/** `rw/orders/{orderId}/status`: where a dispatch system reports on one order. */
export function orderStatusTopic(prefix: string, orderId: string): string {
  return `${prefix}/orders/${encodeTopicSegment(orderId)}/status`;
}

/** `rw/deadletter/{reason}`, the reason being a dead-letter reason name such as `schema` or `clock_skew`. */
export function deadLetterTopic(prefix: string, reason: string): string {
  return `${prefix}/deadletter/${encodeTopicSegment(reason)}`;
}

/**
 * The order id of `{prefix}/orders/{orderId}/status`, decoded; `undefined` for any other topic.
 * Exact: one non-empty level between `orders/` and a final `status` level, nothing after it —
 * `rw/orders/grid/ID` (an order announcement) and `rw/orders/a/b/status` are not status updates.
 */
export function parseOrderStatusTopic(prefix: string, topic: string): string | undefined {
  const start = orderStatusIdStart(topic, prefix);
  if (start < 0) return undefined;
  const end = orderStatusIdEnd(topic, start);
  return end < 0 ? undefined : decodeTopicSegment(topic.slice(start, end));
}

/**
 * Index where the order id starts when `topic` begins with `{prefix}/orders/`, else -1.
 * Allocation-free (runs in the broker's authorizePublish for every client publish).
 */
export function orderStatusIdStart(topic: string, prefix: string): number {
  if (!isUnderPrefix(topic, prefix)) return -1;
  const at = prefix.length + 1;
  if (!topic.startsWith('orders/', at)) return -1;
  return at + 7;
}

/** Index of the `/` before the final `status` level when the id starts at `start`, else -1. */
export function orderStatusIdEnd(topic: string, start: number): number {
  const slash = topic.indexOf('/', start);
  if (slash <= start) return -1;
  if (topic.length !== slash + 1 + STATUS.length || !topic.startsWith(STATUS, slash + 1)) return -1;
  return slash;
}

/**
 * What a message that reaches the engine's input subscription is, by its topic alone:
 *
 * - `telemetry`: in `{prefix}/telemetry[/...]`. Ingest takes it; whether it is exactly
 *   `{prefix}/telemetry/{deviceId}` is ingest's to judge (ERR_TOPIC_INVALID, dead letter `bad_topic`).
 * - `status`: exactly `{prefix}/orders/{orderId}/status`, a dispatch system's report.
 * - `engine-output`: one of the shapes the engine itself publishes (alerts, orders, overdue
 *   notices, dead letters). It comes back because the input subscription covers the whole prefix;
 *   it is never input — dead-lettering a dead letter would feed itself forever.
 * - `unknown`: anything else under the prefix (`rw/foo`, `rw/telemetryx/…`, `rw/orders/a/b/status`):
 *   a mistake an installer must see, so ingest dead-letters it as `bad_topic` too.
 * - `outside`: not under the prefix at all; counted as ignored, nothing else.
 */
export type InputTopicKind = 'telemetry' | 'status' | 'engine-output' | 'unknown' | 'outside';

export function inputTopicKind(topic: string, prefix: string): InputTopicKind {
  if (!isUnderPrefix(topic, prefix)) return 'outside';
  const at = prefix.length + 1;
  // Telemetry first: it is nearly every message, and this costs two string compares.
  if (isLevelAt(topic, at, 'telemetry')) return 'telemetry';
  const start = orderStatusIdStart(topic, prefix);
  if (start >= 0 && orderStatusIdEnd(topic, start) >= 0) return 'status';
  return isEngineOutput(topic.slice(at).split('/')) ? 'engine-output' : 'unknown';
}

/**
 * The levels after the prefix match a topic the builders above produce: `alerts/{level}/{scenarioId}`,
 * `orders/{tier}/{orderId}`, `orders/{orderId}/overdue`, `deadletter/{reason}`. Exact shapes, not
 * whole trees, so that `rw/alerts` or `rw/orders/x` sent by mistake to an external broker (which
 * does not refuse them as the embedded one does) is still reported as a bad topic.
 */
function isEngineOutput(levels: readonly string[]): boolean {
  if (levels.some((level) => level.length === 0)) return false;
  const [tree, first, second] = levels;
  switch (tree) {
    case 'alerts':
      return levels.length === 3 && isLevel(first);
    case 'orders':
      // `orders/{tier}/status` never comes from the engine: `orderTopic` writes that id `%73tatus`.
      return levels.length === 3 && ((TIERS as readonly string[]).includes(first!) ? second !== STATUS : second === 'overdue');
    case 'deadletter':
      return levels.length === 2;
    default:
      return false;
  }
}

/** True when `topic` is `{prefix}` followed by at least a `/` — i.e. lies in the prefix's tree. */
export function isUnderPrefix(topic: string, prefix: string): boolean {
  return topic.length > prefix.length && topic.charCodeAt(prefix.length) === CH_SLASH && topic.startsWith(prefix);
}

/**
 * True when the level starting at `at` is exactly `word` (followed by `/` or the end), so that
 * `alerts` matches `rw/alerts` and `rw/alerts/red/x` but not `rw/alertsX`.
 */
export function isLevelAt(topic: string, at: number, word: string): boolean {
  if (!topic.startsWith(word, at)) return false;
  const after = at + word.length;
  return after === topic.length || topic.charCodeAt(after) === CH_SLASH;
}
