import { ERR_CONFIG_INVALID } from './errors.js';
import { isDuration, parseDuration } from './duration.js';

/**
 * Every setting of the engine, each with a default, so `npx riskwatch start` runs with no
 * configuration at all. Keys map one to one onto `riskwatch.yaml`, CLI flags (`mqtt.port` →
 * `--mqtt-port`) and environment variables (`RW_MQTT_PORT`); see `cli/config-sources.ts`.
 */
export interface RiskwatchConfig {
  mqtt: {
    /** Port of the embedded broker. */
    port: number;
    host: string;
    /** External broker URL (`mqtt://host:1883`); when set, no embedded broker is started. */
    broker: string;
    /** 4 = MQTT 3.1.1, 5 = MQTT 5 (external brokers only; aedes speaks 3.1.1). */
    protocolVersion: number;
    clientId: string;
    username: string;
    password: string;
    topicPrefix: string;
  };
  http: { port: number; host: string; enabled: boolean };
  /** Directory of scenario YAML files (not recursive). */
  rules: string;
  /** Registry file (places, subjects, devices). */
  registry: string;
  /** Directory of the SQLite database. */
  data: string;
  ingest: {
    maxPayloadBytes: number;
    maxBatchReadings: number;
    /** How far in the future a reading's `ts` may be (device clock skew). */
    maxFutureSkew: string;
    /** How old a reading may be (NB-IoT batches arrive late, but not weeks late). */
    maxReadingAge: string;
  };
  deadLetters: { capacity: number; publish: boolean };
  /** Delivered outbox entries are kept this long for inspection, then deleted. */
  outbox: { retainDelivered: string };
  dispatch: {
    /** Dispatch policy file; empty = `{rules}/dispatch/policy.yaml` when present, else the built-in defaults. */
    policy: string;
    /** How long published order events are kept for SSE clients resuming with Last-Event-ID. */
    retainEvents: string;
  };
  /** Webhook delivery of order events (CloudEvents over HTTP). Disabled while `url` is empty. */
  webhook: {
    /** One URL, or several separated by commas; each gets every order event. */
    url: string;
    /** HMAC-SHA256 key of the Standard Webhooks `webhook-signature` header (`whsec_…` base64, or any text). */
    secret: string;
    /** Per request. */
    timeout: string;
    /**
     * After this many failed attempts an event is dead-lettered (kept, redeliverable over the API).
     * With the default backoff (full jitter, 1 s doubling up to 30 min), 25 attempts ride out an
     * outage of about 3.5 hours on average (7 h at most) before anything is given up.
     */
    maxAttempts: number;
    /** Requests in flight per endpoint (different orders only: one order's events go one at a time). */
    concurrency: number;
    retryBase: string;
    retryMax: string;
  };
  /** Checkpoints of model state (durations in progress, armed timers, each device's last-seen time). */
  checkpoint: {
    /**
     * How often the keys that changed since the last checkpoint are written to the data file. A
     * crash (kill -9, OOM killer, power loss) loses at most this much model state, plus the time one
     * checkpoint takes to write. `0s`: only at a graceful stop.
     */
    interval: string;
  };
  log: { level: string; pretty: boolean };
}

export const DEFAULT_CONFIG: RiskwatchConfig = {
  mqtt: { port: 1883, host: '0.0.0.0', broker: '', protocolVersion: 4, clientId: 'riskwatch-engine', username: '', password: '', topicPrefix: 'rw' },
  http: { port: 8080, host: '0.0.0.0', enabled: true },
  rules: 'rules',
  registry: 'registry/demo.yaml',
  data: 'data',
  ingest: { maxPayloadBytes: 65_536, maxBatchReadings: 1000, maxFutureSkew: '5m', maxReadingAge: '7d' },
  deadLetters: { capacity: 1000, publish: true },
  outbox: { retainDelivered: '24h' },
  dispatch: { policy: '', retainEvents: '7d' },
  webhook: { url: '', secret: '', timeout: '10s', maxAttempts: 25, concurrency: 4, retryBase: '1s', retryMax: '30m' },
  // 5 s: a twelfth of the shortest duration a shipped scenario counts (gas yellow holds for 1 m) and
  // 1/1440 of the offline and inactivity ones (2 h, 8 h). Writing costs about one row per key that
  // changed, however often it changed in between: at 1 000 readings/s a checkpoint writes a few
  // thousand rows in a few 5 ms slices (bench/results/checkpoint.md). A shorter interval loses less
  // and writes a key that reports every 2 s once per report instead of once per 5 s.
  checkpoint: { interval: '5s' },
  log: { level: 'info', pretty: false },
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Every leaf key as a dotted path with its default: the table behind flags, env vars and docs. */
export function configKeys(config: object = DEFAULT_CONFIG, prefix = ''): Array<{ path: string; value: unknown }> {
  const keys: Array<{ path: string; value: unknown }> = [];
  for (const [k, v] of Object.entries(config)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) keys.push(...configKeys(v as object, path));
    else keys.push({ path, value: v });
  }
  return keys;
}

/** Merges layers (later wins) over the defaults and checks every value's type. */
export function resolveConfig(...layers: Array<DeepPartial<RiskwatchConfig> | undefined>): RiskwatchConfig {
  const config = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  for (const layer of layers) if (layer) mergeInto(config, layer as Record<string, unknown>, '');
  validate(config as unknown as RiskwatchConfig);
  return config as unknown as RiskwatchConfig;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>, prefix: string): void {
  for (const [key, value] of Object.entries(source)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (!(key in target)) throw ERR_CONFIG_INVALID(`unknown key ${path}`);
    const current = target[key];
    if (current !== null && typeof current === 'object') {
      if (value === null || typeof value !== 'object') throw ERR_CONFIG_INVALID(`${path} must be a section`);
      mergeInto(current as Record<string, unknown>, value as Record<string, unknown>, path);
    } else {
      target[key] = coerce(path, value, current);
    }
  }
}

/** Flags and env vars arrive as strings: coerce them to the default's type. */
function coerce(path: string, value: unknown, example: unknown): unknown {
  if (typeof example === 'number') {
    const n = typeof value === 'number' ? value : Number(value);
    if (typeof value === 'boolean' || value === '' || !Number.isFinite(n)) throw ERR_CONFIG_INVALID(`${path} must be a number, got ${JSON.stringify(value)}`);
    return n;
  }
  if (typeof example === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw ERR_CONFIG_INVALID(`${path} must be true or false, got ${JSON.stringify(value)}`);
  }
  if (typeof value !== 'string' && typeof value !== 'number') throw ERR_CONFIG_INVALID(`${path} must be a string`);
  return String(value);
}

function validate(c: RiskwatchConfig): void {
  const port = (path: string, n: number) => {
    if (!Number.isInteger(n) || n < 0 || n > 65_535) throw ERR_CONFIG_INVALID(`${path} must be a port number (0-65535), got ${n}`);
  };
  port('mqtt.port', c.mqtt.port);
  port('http.port', c.http.port);
  if (c.mqtt.protocolVersion !== 4 && c.mqtt.protocolVersion !== 5) throw ERR_CONFIG_INVALID('mqtt.protocolVersion must be 4 (MQTT 3.1.1) or 5');
  if (c.mqtt.broker && !/^(mqtts?|tcp|ssl|wss?):\/\//.test(c.mqtt.broker)) throw ERR_CONFIG_INVALID(`mqtt.broker must be a URL like mqtt://host:1883, got ${c.mqtt.broker}`);
  if (!/^[^+#/]+(\/[^+#/]+)*$/.test(c.mqtt.topicPrefix)) throw ERR_CONFIG_INVALID('mqtt.topicPrefix must be topic levels without wildcards');
  const durations = {
    'ingest.maxFutureSkew': c.ingest.maxFutureSkew, 'ingest.maxReadingAge': c.ingest.maxReadingAge,
    'outbox.retainDelivered': c.outbox.retainDelivered, 'dispatch.retainEvents': c.dispatch.retainEvents,
    'webhook.timeout': c.webhook.timeout, 'webhook.retryBase': c.webhook.retryBase, 'webhook.retryMax': c.webhook.retryMax,
    'checkpoint.interval': c.checkpoint.interval,
  };
  for (const [path, value] of Object.entries(durations)) {
    if (!isDuration(value)) throw ERR_CONFIG_INVALID(`${path} must be a duration like 5m or 7d, got ${value}`);
  }
  if (c.ingest.maxPayloadBytes < 64) throw ERR_CONFIG_INVALID('ingest.maxPayloadBytes must be at least 64');
  if (c.deadLetters.capacity < 1) throw ERR_CONFIG_INVALID('deadLetters.capacity must be at least 1');
  if (!Number.isInteger(c.webhook.maxAttempts) || c.webhook.maxAttempts < 1) throw ERR_CONFIG_INVALID('webhook.maxAttempts must be a whole number of at least 1');
  if (!Number.isInteger(c.webhook.concurrency) || c.webhook.concurrency < 1) throw ERR_CONFIG_INVALID('webhook.concurrency must be a whole number of at least 1');
  for (const url of webhookUrls(c)) {
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw ERR_CONFIG_INVALID(`webhook.url must be http(s) URLs separated by commas, got ${url}`);
  }
  if (webhookUrls(c).length > 0 && !c.webhook.secret) throw ERR_CONFIG_INVALID('webhook.secret is required when webhook.url is set (receivers verify the signature)');
}

/** The configured webhook endpoints (`webhook.url` split on commas). */
export function webhookUrls(c: RiskwatchConfig): string[] {
  return c.webhook.url.split(',').map((u) => u.trim()).filter((u) => u.length > 0);
}

export function durationMs(value: string): number {
  return parseDuration(value);
}
