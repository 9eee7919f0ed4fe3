import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, resolveConfig } from '../../../src/core/config.js';
import { configFromEnv, configFromFlags, envName, flagName, loadConfig } from '../../../src/cli/config-sources.js';

describe('configuration', () => {
  it('has a default for every key, matching the public contract', () => {
    const c = resolveConfig();
    expect(c.mqtt.port).toBe(1883);
    expect(c.http.port).toBe(8080);
    expect(c.mqtt.broker).toBe('');
    expect(c.rules).toBe('rules');
    expect(c.data).toBe('data');
    expect(c).toEqual(DEFAULT_CONFIG);
  });

  it('maps keys to flags and env vars', () => {
    expect(flagName('mqtt.port')).toBe('mqtt-port');
    expect(flagName('ingest.maxPayloadBytes')).toBe('ingest-max-payload-bytes');
    expect(envName('mqtt.topicPrefix')).toBe('RW_MQTT_TOPIC_PREFIX');
  });

  it('accepts the contract flags', () => {
    const { layer, configFile, rest } = configFromFlags([
      '--mqtt-port', '11883', '--http-port=18080', '--broker', 'mqtt://127.0.0.1:1884',
      '--rules', 'r', '--registry', 'reg.yaml', '--data', 'd', '--config', 'x.yaml', 'extra',
    ]);
    expect(configFile).toBe('x.yaml');
    expect(rest).toEqual(['extra']);
    const c = resolveConfig(layer);
    expect(c.mqtt.port).toBe(11883);
    expect(c.http.port).toBe(18080);
    expect(c.mqtt.broker).toBe('mqtt://127.0.0.1:1884');
    expect([c.rules, c.registry, c.data]).toEqual(['r', 'reg.yaml', 'd']);
  });

  it('layers defaults < file < env < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-config-'));
    const file = join(dir, 'riskwatch.yaml');
    writeFileSync(file, 'mqtt:\n  port: 2000\nhttp:\n  port: 3000\ndata: from-file\n');
    const { config } = loadConfig(['--config', file, '--http-port', '4000'], { RW_MQTT_PORT: '2500', RW_DATA: 'from-env' });
    expect(config.mqtt.port).toBe(2500);
    expect(config.http.port).toBe(4000);
    expect(config.data).toBe('from-env');
  });

  it('reads every key from the environment', () => {
    const layer = configFromEnv({ RW_INGEST_MAX_PAYLOAD_BYTES: '1024', RW_DEAD_LETTERS_PUBLISH: 'false' });
    const c = resolveConfig(layer);
    expect(c.ingest.maxPayloadBytes).toBe(1024);
    expect(c.deadLetters.publish).toBe(false);
  });

  it('rejects bad values with a coded error', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => resolveConfig({ mqtt: { port: 70000 } }))).toBe('ERR_CONFIG_INVALID');
    expect(code(() => resolveConfig({ http: { port: 'eighty' as unknown as number } }))).toBe('ERR_CONFIG_INVALID');
    expect(code(() => resolveConfig({ nope: 1 } as never))).toBe('ERR_CONFIG_INVALID');
    expect(code(() => resolveConfig({ mqtt: { broker: 'localhost:1883' } }))).toBe('ERR_CONFIG_INVALID');
    expect(code(() => resolveConfig({ ingest: { maxFutureSkew: 'soon' } }))).toBe('ERR_CONFIG_INVALID');
    expect(code(() => loadConfig(['--config', '/nonexistent/riskwatch.yaml'], {}))).toBe('ERR_CONFIG_INVALID');
  });
});
