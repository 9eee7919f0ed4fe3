import { describe, expect, it } from 'vitest';
import { engineTopicsReserved } from '../../../src/broker/broker-hooks.js';
import { inputFilter } from '../../../src/broker/input-filter.js';
import { isValidTopicFilter, matchesTopicFilter, matchingPart } from '../../../src/broker/topic-filter.js';
import { LEVELS } from '../../../src/contracts/level.js';
import { TIERS } from '../../../src/core/tiers.js';
import {
  alertTopic,
  deadLetterTopic,
  decodeTopicSegment,
  encodeTopicSegment,
  inputTopicKind,
  orderOverdueTopic,
  orderStatusFilter,
  orderStatusTopic,
  orderTopic,
  parseOrderStatusTopic,
  telemetryFilter,
  telemetryTopic,
} from '../../../src/core/topics.js';

// Pure functions, no broker: these would sit in tests/unit/broker/ (see the report).

describe('public topic contract builders', () => {
  it('builds the documented topics under the default and a custom prefix', () => {
    expect(telemetryFilter()).toBe('rw/telemetry/+');
    expect(telemetryFilter('city/rw')).toBe('city/rw/telemetry/+');
    expect(telemetryTopic('rw', 'wm-0001')).toBe('rw/telemetry/wm-0001');
    expect(alertTopic('rw', 'red', 'gas-leak')).toBe('rw/alerts/red/gas-leak');
    expect(orderTopic('rw', 'community', 'ord-1')).toBe('rw/orders/community/ord-1');
    expect(orderStatusFilter()).toBe('rw/orders/+/status');
    expect(orderStatusTopic('rw', 'ord-1')).toBe('rw/orders/ord-1/status');
    expect(deadLetterTopic('rw', 'ERR_PAYLOAD_SCHEMA')).toBe('rw/deadletter/ERR_PAYLOAD_SCHEMA');
  });

  it('keeps ids to one level: / + # % and NUL are percent-encoded, reversibly', () => {
    expect(alertTopic('rw', 'blue', 'a/b+c#d')).toBe('rw/alerts/blue/a%2Fb%2Bc%23d');
    expect(orderTopic('rw', 'grid', 'x/#')).toBe('rw/orders/grid/x%2F%23');
    for (const id of ['a/b', 'a%2Fb', '100%', 'nul\u0000here', '+', '#', '独居-1', 'plain']) {
      const segment = encodeTopicSegment(id);
      expect(segment).not.toMatch(/[/+#\u0000]/);
      expect(decodeTopicSegment(segment)).toBe(id);
    }
    // Injective: an id that looks encoded does not collide with the id it looks like.
    expect(encodeTopicSegment('a/b')).not.toBe(encodeTopicSegment('a%2Fb'));
    expect(encodeTopicSegment('plain')).toBe('plain');
  });

  it('refuses an empty id with ERR_BUS_TOPIC_INVALID', () => {
    expect(() => alertTopic('rw', 'red', '')).toThrow(expect.objectContaining({ code: 'ERR_BUS_TOPIC_INVALID' }));
  });

  it('parses exactly {prefix}/orders/{orderId}/status, decoding the id', () => {
    expect(parseOrderStatusTopic('rw', 'rw/orders/ord-42/status')).toBe('ord-42');
    expect(parseOrderStatusTopic('rw', orderStatusTopic('rw', 'a/b#1'))).toBe('a/b#1');
    expect(parseOrderStatusTopic('city/rw', 'city/rw/orders/o1/status')).toBe('o1');
    for (const topic of [
      'rw/orders/grid/ord-42', // an announcement, not a status update
      'rw/orders/a/b/status',
      'rw/orders//status',
      'rw/orders/status',
      'rw/orders/o1/status/x',
      'rw/orders/o1/statusx',
      'rwx/orders/o1/status',
      'other/orders/o1/status',
      'rw/telemetry/o1/status',
    ]) {
      expect(parseOrderStatusTopic('rw', topic), topic).toBeUndefined();
    }
  });

  it('never announces an order on a topic that reads as a status update', () => {
    const topic = orderTopic('rw', 'grid', 'status');
    expect(topic).toBe('rw/orders/grid/%73tatus');
    expect(matchesTopicFilter(orderStatusFilter('rw'), topic)).toBe(false);
    expect(parseOrderStatusTopic('rw', topic)).toBeUndefined();
  });
});

describe('topic filters', () => {
  // Examples from MQTT 3.1.1 §4.7.1.2, §4.7.1.3 and §4.7.2.
  it.each([
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'sport/tennis', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['#', '$SYS/broker/load', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/broker/load', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['rw/telemetry/+', 'rw/telemetry/wm-1', true],
    ['rw/telemetry/+', 'rw/telemetryX/wm-1', false],
    ['rw/telemetry/+', 'rw/telemetry', false],
    ['rw/orders/+/status', 'rw/orders/o1/status', true],
    ['rw/orders/+/status', 'rw/orders/grid/o1', false],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
  ] as const)('%s vs %s → %s', (filter, topic, expected) => {
    expect(matchesTopicFilter(filter, topic)).toBe(expected);
  });

  it('agrees with a level-by-level reference on random filters and topics', () => {
    const reference = (filter: string, topic: string): boolean => {
      if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
      const f = filter.split('/');
      const t = topic.split('/');
      for (let i = 0; i < f.length; i++) {
        if (f[i] === '#') return true;
        if (i >= t.length) return false;
        if (f[i] !== '+' && f[i] !== t[i]) return false;
      }
      return f.length === t.length;
    };
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const words = ['a', 'b', '', '$x', 'rw'];
    for (let i = 0; i < 5_000; i++) {
      const topic = Array.from({ length: 1 + random(4) }, () => words[random(words.length)]).join('/');
      const levels = Array.from({ length: 1 + random(4) }, () => ['a', 'b', '', '+', 'rw', '$x'][random(6)]);
      if (random(3) === 0) levels.push('#');
      const filter = levels.join('/');
      expect(matchesTopicFilter(filter, topic), `${filter} vs ${topic}`).toBe(reference(filter, topic));
    }
  });

  it.each([
    ['rw/telemetry/+', true],
    ['#', true],
    ['+', true],
    ['rw/#', true],
    ['+/+/status', true],
    ['$share/engines/rw/telemetry/+', true],
    ['', false],
    ['rw/#/x', false],
    ['rw#', false],
    ['rw/tele+', false],
    ['rw/+x', false],
    ['$share//rw/+', false],
    ['$share/g+/rw/+', false],
    ['$share/g/rw/#/x', false],
    ['a\u0000b', false],
  ] as const)('filter %j valid: %s', (filter, valid) => {
    expect(isValidTopicFilter(filter)).toBe(valid);
  });

  it('matches a shared subscription by its filter part', () => {
    expect(matchingPart('$share/engines/rw/telemetry/+')).toBe('rw/telemetry/+');
    expect(matchingPart('rw/telemetry/+')).toBe('rw/telemetry/+');
  });
});

describe('engineTopicsReserved (the default authorizePublish policy)', () => {
  it.each([
    ['rw/telemetry/wm-1', null],
    ['rw/orders/ord-1/status', null],
    ['rw/orders/grid/status', null], // the status of an order with id "grid"
    ['rw/alertsX/red/x', null],
    ['rw/ordersX/grid/o1', null],
    ['other/app', null],
    ['rw', null],
    ['rw/alerts', 'engine-topic'],
    ['rw/alerts/red/gas-leak', 'engine-topic'],
    ['rw/orders/grid/ord-1', 'engine-topic'],
    ['rw/orders/ord-1/status/x', 'engine-topic'],
    ['rw/orders/status', 'engine-topic'],
    ['rw/orders', 'engine-topic'],
    ['rw/deadletter', 'engine-topic'],
    ['rw/deadletter/ERR_PAYLOAD_SCHEMA', 'engine-topic'],
    ['$SYS/broker/x', 'system-topic'],
  ] as const)('%s → %s', (topic, expected) => {
    expect(engineTopicsReserved(null, topic, 'rw')).toBe(expected);
  });

  it('applies to the configured prefix only', () => {
    expect(engineTopicsReserved(null, 'city/rw/alerts/red/x', 'city/rw')).toBe('engine-topic');
    expect(engineTopicsReserved(null, 'rw/alerts/red/x', 'city/rw')).toBeNull();
    expect(engineTopicsReserved(null, 'city/rw/orders/o1/status', 'city/rw')).toBeNull();
  });
});

describe('inputTopicKind: what a message on the input subscription is', () => {
  it.each([
    ['rw/telemetry/gd-0002', 'telemetry'],
    // Defect 4 of issue 10: these vanished. Telemetry-tree mistakes go to ingest, which refuses the topic.
    ['rw/telemetry/a/b', 'telemetry'],
    ['rw/telemetry/gd-0002/extra', 'telemetry'],
    ['rw/telemetry/', 'telemetry'],
    ['rw/telemetry', 'telemetry'],
    ['rw/telemetryx/gd-0002', 'unknown'],
    ['rw/foo', 'unknown'],
    ['rw/', 'unknown'],
    ['rw//telemetry/x', 'unknown'],
    ['rw/alerts', 'unknown'],
    ['rw/alerts/purple/gas', 'unknown'],
    ['rw/alerts/red/gas/extra', 'unknown'],
    ['rw/orders/o1', 'unknown'],
    ['rw/orders/a/b/status', 'unknown'],
    ['rw/orders//status', 'unknown'],
    ['rw/orders/o1/statusx', 'unknown'],
    ['rw/deadletter', 'unknown'],
    ['rw/deadletter/', 'unknown'],
    ['rw/deadletter/bad_topic/x', 'unknown'],
    ['rw/orders/o1/status', 'status'],
    ['rw/orders/grid/status', 'status'], // an order whose id is "grid": the engine never writes `status` as an id
    ['rw/alerts/red/gas-concentration', 'engine-output'],
    ['rw/orders/community/o1', 'engine-output'],
    ['rw/orders/o1/overdue', 'engine-output'],
    ['rw/deadletter/bad_topic', 'engine-output'],
    ['other/telemetry/gd-0002', 'outside'],
    ['rwx/telemetry/gd-0002', 'outside'],
    ['rw', 'outside'],
    ['', 'outside'],
    ['$SYS/broker/uptime', 'outside'],
  ])('%j is %s', (topic, kind) => {
    expect(inputTopicKind(topic, 'rw')).toBe(kind);
  });

  it('knows every topic the engine builds as its own output, under any prefix', () => {
    for (const prefix of ['rw', 'city/rw']) {
      for (const level of LEVELS) expect(inputTopicKind(alertTopic(prefix, level, 'a/b#c'), prefix)).toBe('engine-output');
      for (const tier of TIERS) {
        for (const id of ['o1', 'status', 'overdue', 'x/y']) expect(inputTopicKind(orderTopic(prefix, tier, id), prefix), `${tier} ${id}`).toBe('engine-output');
      }
      expect(inputTopicKind(orderOverdueTopic(prefix, 'o/1'), prefix)).toBe('engine-output');
      expect(inputTopicKind(deadLetterTopic(prefix, 'bad_topic'), prefix)).toBe('engine-output');
      expect(inputTopicKind(orderStatusTopic(prefix, 'o/1'), prefix)).toBe('status');
      expect(inputTopicKind(telemetryTopic(prefix, 'a/b'), prefix)).toBe('telemetry');
    }
    expect(inputTopicKind('city/rw/foo', 'city/rw')).toBe('unknown');
    expect(inputTopicKind('rw/telemetry/x', 'city/rw')).toBe('outside');
  });

  it('subscribes to everything on the embedded broker and to the prefix only on an external one', () => {
    expect(inputFilter('embedded', 'rw')).toBe('#');
    expect(inputFilter('external', 'city/rw')).toBe('city/rw/#');
    for (const topic of ['rw/telemetry/a/b', 'rw/foo', 'rw/orders/o1/status']) expect(matchesTopicFilter(inputFilter('external', 'rw'), topic)).toBe(true);
  });
});
