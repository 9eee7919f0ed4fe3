import type { EngineCounters } from '../src/contracts/engine-api.js';
import type { DeadLetter } from '../src/ingest/dead-letters.js';

/**
 * What the ingest fuzzer expects of each message, written apart from the engine's own topic grammar
 * (regular expressions over the public contract in README, not `core/topics.ts`), so that a mistake
 * in one does not hide the same mistake in the other.
 *
 * - `telemetry`: exactly `{prefix}/telemetry/{deviceId}` — ingest accepts it, or rejects it for any
 *   reason but `bad_topic`;
 * - `bad-topic`: anything else under the prefix that is neither a status report nor one of the
 *   engine's own output topics — ingest rejects it as `bad_topic`;
 * - `status`: `{prefix}/orders/{orderId}/status` — the order-status handler's, not ingest's;
 * - `own-output`: alerts, orders, overdue notices and dead letters as the engine publishes them —
 *   not input, counted nowhere;
 * - `ignored`: outside the prefix — counted as ignored, nothing else.
 */
export type ExpectedRoute = 'telemetry' | 'bad-topic' | 'status' | 'own-output' | 'ignored';

export const EXPECTED_ROUTES: readonly ExpectedRoute[] = ['telemetry', 'bad-topic', 'status', 'own-output', 'ignored'];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function routeOracle(prefix: string): (topic: string) => ExpectedRoute {
  const p = escape(prefix);
  const level = '[^/]+';
  const status = new RegExp(`^${p}/orders/${level}/status$`);
  const ownOutput = [
    new RegExp(`^${p}/alerts/(blue|yellow|orange|red)/${level}$`),
    new RegExp(`^${p}/orders/(grid|community|street)/${level}$`),
    new RegExp(`^${p}/orders/${level}/overdue$`),
    new RegExp(`^${p}/deadletter/${level}$`),
  ];
  const telemetry = new RegExp(`^${p}/telemetry/${level}$`);
  return (topic) => {
    if (!topic.startsWith(`${prefix}/`)) return 'ignored';
    if (status.test(topic)) return 'status';
    if (ownOutput.some((re) => re.test(topic))) return 'own-output';
    return telemetry.test(topic) ? 'telemetry' : 'bad-topic';
  };
}

/** The counters one message may move. */
export type OutcomeCounters = Pick<EngineCounters, 'messages' | 'accepted' | 'rejected' | 'ignored' | 'stageErrors'>;

export function outcomeCounters(c: EngineCounters): OutcomeCounters {
  return { messages: c.messages, accepted: c.accepted, rejected: c.rejected, ignored: c.ignored, stageErrors: c.stageErrors };
}

/**
 * Checks that one message was counted exactly once, in the place its route says, with a reason when
 * rejected (never `internal`: that is an engine bug). `deadLetters` are those the message produced.
 * Returns what went wrong, or undefined.
 */
export function outcomeViolation(route: ExpectedRoute, before: OutcomeCounters, after: OutcomeCounters, deadLetters: readonly DeadLetter[]): string | undefined {
  const d = {
    messages: after.messages - before.messages,
    accepted: after.accepted - before.accepted,
    rejected: after.rejected - before.rejected,
    ignored: after.ignored - before.ignored,
    stageErrors: after.stageErrors - before.stageErrors,
  };
  const moved = JSON.stringify(d);
  if (d.stageErrors !== 0) return `a pipeline stage failed: ${moved}`;
  switch (route) {
    case 'telemetry':
    case 'bad-topic': {
      if (d.messages !== 1 || d.ignored !== 0 || d.accepted + d.rejected !== 1 || d.accepted < 0 || d.rejected < 0) return `not counted once as accepted or rejected: ${moved}`;
      if (d.accepted === 1) return deadLetters.length === 0 ? undefined : `accepted and dead-lettered: ${deadLetters.map((l) => l.reason).join(', ')}`;
      if (deadLetters.length !== 1) return `rejected with ${deadLetters.length} dead letters`;
      const reason = deadLetters[0]!.reason;
      if (reason === 'internal') return `rejected by an engine bug: ${deadLetters[0]!.code} ${deadLetters[0]!.message}`;
      if ((reason === 'bad_topic') !== (route === 'bad-topic')) return `route ${route} rejected as ${reason}`;
      return undefined;
    }
    case 'ignored':
      return d.ignored === 1 && d.messages === 0 && d.accepted === 0 && d.rejected === 0 && deadLetters.length === 0 ? undefined : `not counted once as ignored: ${moved}`;
    case 'status':
    case 'own-output':
      return d.messages === 0 && d.accepted === 0 && d.rejected === 0 && d.ignored === 0 && deadLetters.length === 0 ? undefined : `${route} reached ingest or a count: ${moved}`;
  }
}

/** How many messages took each route, and how ingest decided on them. */
export class FuzzTally {
  readonly routes: Record<ExpectedRoute, number> = { telemetry: 0, 'bad-topic': 0, status: 0, 'own-output': 0, ignored: 0 };
  readonly reasons: Record<string, number> = {};
  accepted = 0;
  total = 0;

  add(route: ExpectedRoute, deadLetters: readonly DeadLetter[], accepted: boolean): void {
    this.total++;
    this.routes[route]++;
    if (accepted) this.accepted++;
    for (const letter of deadLetters) this.reasons[letter.reason] = (this.reasons[letter.reason] ?? 0) + 1;
  }

  /** Messages the oracle sends to ingest. */
  get ingested(): number {
    return this.routes.telemetry + this.routes['bad-topic'];
  }
}
