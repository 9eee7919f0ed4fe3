import { ERR_BUS_TOPIC_INVALID } from '../core/errors.js';

/**
 * MQTT topic names and filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7 and §4.8.2 shared subscriptions):
 * validation, and matching of a received topic against a filter without allocating — the external
 * bus routes every received message through `matchesTopicFilter`.
 */
const CH_DOLLAR = 36;
const CH_HASH = 35;
const CH_PLUS = 43;
const CH_SLASH = 47;
const SHARE_PREFIX = '$share/';

/** A topic name one may publish to: non-empty, no wildcards, no U+0000 [MQTT-4.7.3-1, -2, 3.3.2-2]. */
export function assertTopicName(topic: string): void {
  if (topic.length === 0 || /[+#\u0000]/.test(topic)) throw ERR_BUS_TOPIC_INVALID('topic name', topic);
}

/**
 * A filter one may subscribe to: `+` fills a whole level, `#` is last and fills a whole level
 * [MQTT-4.7.1-2, -3]; `$share/{group}/{filter}` (MQTT 5) needs a group and a valid filter.
 */
export function assertTopicFilter(filter: string): void {
  if (!isValidTopicFilter(filter)) throw ERR_BUS_TOPIC_INVALID('topic filter', filter);
}

export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.indexOf('\u0000') !== -1) return false;
  if (filter.startsWith(SHARE_PREFIX)) {
    const slash = filter.indexOf('/', SHARE_PREFIX.length);
    if (slash <= SHARE_PREFIX.length) return false;
    const group = filter.slice(SHARE_PREFIX.length, slash);
    if (/[+#]/.test(group)) return false;
    return isValidTopicFilter(filter.slice(slash + 1));
  }
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c !== CH_PLUS && c !== CH_HASH) continue;
    const levelStart = i === 0 || filter.charCodeAt(i - 1) === CH_SLASH;
    const levelEnd = i === filter.length - 1 || filter.charCodeAt(i + 1) === CH_SLASH;
    if (!levelStart || !levelEnd) return false;
    if (c === CH_HASH && i !== filter.length - 1) return false;
  }
  return true;
}

/** The part of a filter that topics are matched against: `$share/g/a/+` → `a/+`. */
export function matchingPart(filter: string): string {
  if (!filter.startsWith(SHARE_PREFIX)) return filter;
  return filter.slice(filter.indexOf('/', SHARE_PREFIX.length) + 1);
}

/**
 * Does `topic` match `filter` (already stripped of any `$share/{group}/`)? `+` matches one level
 * (possibly empty), `#` the rest including the parent level (`a/#` matches `a`) [MQTT-4.7.1-2];
 * a filter starting with a wildcard does not match topics starting with `$` [MQTT-4.7.2-1].
 */
export function matchesTopicFilter(filter: string, topic: string): boolean {
  const fl = filter.length;
  const tl = topic.length;
  if (tl > 0 && topic.charCodeAt(0) === CH_DOLLAR && fl > 0) {
    const first = filter.charCodeAt(0);
    if (first === CH_PLUS || first === CH_HASH) return false;
  }
  let f = 0;
  let t = 0;
  while (f < fl) {
    const c = filter.charCodeAt(f);
    if (c === CH_HASH) return true;
    if (c === CH_PLUS) {
      while (t < tl && topic.charCodeAt(t) !== CH_SLASH) t++;
      f++;
      continue;
    }
    if (t >= tl || topic.charCodeAt(t) !== c) {
      // `a/#` also matches `a`: the topic ended exactly where the filter's final `/#` begins.
      return t === tl && c === CH_SLASH && f + 2 === fl && filter.charCodeAt(f + 1) === CH_HASH;
    }
    f++;
    t++;
  }
  return t === tl;
}
