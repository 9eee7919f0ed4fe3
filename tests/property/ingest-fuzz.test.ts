import { Writable } from 'node:stream';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { fuzzMessage, fuzzWorld, type FuzzMessage, type FuzzWorld } from '../../bench/ingest-fuzz-messages.js';
import { FuzzTally, outcomeCounters, outcomeViolation, routeOracle, type OutcomeCounters } from '../../bench/ingest-fuzz-oracle.js';
import { engineTopicsReserved } from '../../src/broker/broker-hooks.js';
import { embeddedPort } from '../../src/broker/create-bus.js';
import { resolveConfig } from '../../src/core/config.js';
import { ManualScheduler } from '../../src/core/manual-scheduler.js';
import { createEngine, type Engine } from '../../src/engine.js';
import type { DeadLetter } from '../../src/ingest/dead-letters.js';
import { connectClient, telemetry } from '../helpers/engine-harness.js';
import { useTempDir } from '../helpers/temp-dir.js';

/**
 * Issue 10: mutated and random payloads and topics through ingest. Every message must be counted
 * exactly once — accepted, rejected with one reason (never `internal`), ignored (outside the prefix),
 * or, for status reports and the engine's own output topics, by neither ingest nor the ignore count
 * — and nothing may crash. The one-message check runs after every message (fast-check shrinks a
 * failing one); the totals are checked at the end. `npm run bench:fuzz` runs a million.
 */
const NOW = Date.parse('2026-03-02T09:30:00+08:00');
const SEED = 10_2026;
const IN_PROCESS_MESSAGES = 20_000;
const OVER_MQTT_MESSAGES = 600;

describe('ingest fuzz (property): every message counted once, no crash', () => {
  const dir = useTempDir('ingest-fuzz-');
  let engine: Engine | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    await engine?.stop();
    engine = undefined;
  });

  /** A real engine on a fixed virtual clock (a seed replays exactly), logging at debug into nowhere (the log calls run). */
  async function startEngine(): Promise<{ engine: Engine; world: FuzzWorld; letters: DeadLetter[] }> {
    const config = resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: dir(), rules: 'rules', registry: 'registry/demo.yaml' });
    const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
    const started = createEngine(config, { scheduler: new ManualScheduler(NOW), logger: pino({ level: 'debug' }, discard) });
    await started.start();
    engine = started;
    const letters: DeadLetter[] = [];
    started.on('deadletter', (letter) => letters.push(letter));
    return { engine: started, world: fuzzWorld(config, started.registry, NOW), letters };
  }

  /** The totals: counters, dead-letter counts and the oracle's tally (of what came after `before`) agree exactly. */
  async function expectTotalsAddUp(e: Engine, tally: FuzzTally, before: OutcomeCounters): Promise<void> {
    await e.settle();
    const c = e.counters;
    const counts = e.listDeadLetters({ limit: 0, offset: 0 }).counts;
    const deadLettered = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(c.messages).toBe(c.accepted + c.rejected);
    expect(c.rejected).toBe(deadLettered);
    expect(e.health().counters.deadLetters).toBe(deadLettered);
    expect(counts.internal).toBe(0);
    expect(c.stageErrors).toBe(0);
    expect(c.messages - before.messages).toBe(tally.ingested);
    expect(c.accepted - before.accepted).toBe(tally.accepted);
    expect(c.ignored - before.ignored).toBe(tally.routes.ignored);
    expect(counts.bad_topic).toBe(tally.routes['bad-topic']);
  }

  it(`${IN_PROCESS_MESSAGES.toLocaleString('en')} messages in process, through the function the MQTT handler calls`, async () => {
    const { engine: e, world, letters } = await startEngine();
    const route = routeOracle(world.prefix);
    const tally = new FuzzTally();
    const start = outcomeCounters(e.counters);
    fc.assert(
      fc.property(fuzzMessage(world), ({ topic, payload }) => {
        letters.length = 0;
        const before = outcomeCounters(e.counters);
        e.receive(topic, payload);
        const expected = route(topic);
        const violation = outcomeViolation(expected, before, outcomeCounters(e.counters), letters);
        if (violation) throw new Error(`${JSON.stringify(topic)}: ${violation}`);
        tally.add(expected, letters, e.counters.accepted > before.accepted);
      }),
      { seed: SEED, numRuns: IN_PROCESS_MESSAGES },
    );
    expect(tally.total).toBe(IN_PROCESS_MESSAGES);
    await expectTotalsAddUp(e, tally, start);

    // The fuzzer reached every route and every way ingest decides, not only the first check.
    for (const [name, n] of Object.entries(tally.routes)) expect({ route: name, reached: n > 0 }).toEqual({ route: name, reached: true });
    for (const reason of ['bad_topic', 'too_large', 'malformed', 'schema', 'unknown_device', 'clock_skew']) {
      expect({ reason, reached: (tally.reasons[reason] ?? 0) > 0 }).toEqual({ reason, reached: true });
    }
    expect(tally.accepted).toBeGreaterThan(IN_PROCESS_MESSAGES / 10);

    // ... and the engine still takes a good reading.
    const accepted = e.counters.accepted;
    e.receive('rw/telemetry/gd-0002', Buffer.from(telemetry({ gas_lel_pct: 1 }, NOW)));
    expect(e.counters.accepted).toBe(accepted + 1);
  }, 180_000);

  it(`${OVER_MQTT_MESSAGES} of them over real MQTT (embedded broker, TCP, MQTT 3.1.1)`, async () => {
    const { engine: e, world, letters } = await startEngine();
    const route = routeOracle(world.prefix);
    const url = `mqtt://127.0.0.1:${embeddedPort(e.messageBus)}`;
    const device = await connectClient(url);
    clients.push(device);
    // What a client can publish at all: a well-formed topic name [MQTT-4.7.3-1..3], outside
    // `$SYS`, and not one the broker refuses (it would close the connection: broker-hooks.ts).
    const publishable = (m: FuzzMessage) =>
      m.topic.length > 0 && Buffer.from(m.topic).toString() === m.topic /* no lone surrogates */ && !/[+#\u0000]/.test(m.topic) && !m.topic.startsWith('$') && engineTopicsReserved(null, m.topic, world.prefix) === null;
    const sample = fc.sample(fuzzMessage(world), { seed: SEED + 1, numRuns: OVER_MQTT_MESSAGES * 3 }).filter(publishable).slice(0, OVER_MQTT_MESSAGES);
    expect(sample).toHaveLength(OVER_MQTT_MESSAGES);

    const tally = new FuzzTally();
    const start = outcomeCounters(e.counters);
    for (const { topic, payload } of sample) {
      letters.length = 0;
      const before = outcomeCounters(e.counters);
      // QoS 1: the PUBACK comes once the broker has handed the message to the engine's subscription.
      await device.publishAsync(topic, payload, { qos: 1 });
      const expected = route(topic);
      const violation = outcomeViolation(expected, before, outcomeCounters(e.counters), letters);
      expect(violation, JSON.stringify(topic)).toBeUndefined();
      tally.add(expected, letters, e.counters.accepted > before.accepted);
    }
    expect(device.connected).toBe(true);
    await expectTotalsAddUp(e, tally, start);
    expect(tally.routes['bad-topic']).toBeGreaterThan(0);
    expect(tally.routes.ignored).toBeGreaterThan(0);
  }, 120_000);
});
