/**
 * The Node-RED flow the benchmark runs against riskwatch: what a Node-RED user would build for
 * riskwatch's shipped gas rule — MQTT in → a function node with the threshold → MQTT out — plus an
 * HTTP endpoint that tells the suite how many readings the flow saw (so it can check nothing was
 * lost). Plain data, written to flows.json at start-up; nothing here runs in this process.
 */

/** The levels of `rules/gas-concentration.yaml`, highest first (a test keeps them in step). */
export const GAS_LEVELS = Object.freeze([
  { level: 'red', atLeast: 25 },
  { level: 'orange', atLeast: 10 },
  { level: 'yellow', atLeast: 5 },
] as const);

export interface GasThresholdFlowOptions {
  /** The broker the flow subscribes and publishes on. */
  brokerHost: string;
  brokerPort: number;
  /** Telemetry topic prefix of riskwatch's public contract; default `rw`. */
  topicPrefix?: string;
  /** Alerts go to `{alertTopicPrefix}/{deviceId}`; default `nodered/alerts`. */
  alertTopicPrefix?: string;
  /** Path of the GET endpoint answering `{"processed": n}`; default `/rw-bench/processed`. */
  processedPath?: string;
}

export const DEFAULT_ALERT_TOPIC_PREFIX = 'nodered/alerts';
export const DEFAULT_PROCESSED_PATH = '/rw-bench/processed';

/** One node of a Node-RED flows.json (every node type has its own further properties). */
export interface NodeRedNode {
  id: string;
  type: string;
  z?: string;
  wires?: string[][];
  [property: string]: unknown;
}

/**
 * The function node's body. It counts every reading (a batch `{"readings": [...]}` counts each one,
 * as riskwatch does) before deciding anything, and raises for gas readings only: a water meter's
 * `{ts, metrics: {flow_lpm, total_m3}}` has no `gas_lel_pct` and passes through silently.
 * No `for`/hysteresis/cooldown: the flow is the plain threshold a user would write first.
 */
function gasRuleSource(alertTopicPrefix: string): string {
  return `// Levels of riskwatch's rules/gas-concentration.yaml, highest first.
const levels = ${JSON.stringify(GAS_LEVELS)};
const payload = msg.payload || {};
const readings = Array.isArray(payload.readings) ? payload.readings : [payload];
flow.set('processed', (flow.get('processed') || 0) + readings.length);
const deviceId = msg.topic.slice(msg.topic.lastIndexOf('/') + 1);
const alerts = [];
for (const reading of readings) {
    const value = reading && reading.metrics ? reading.metrics.gas_lel_pct : undefined;
    if (typeof value !== 'number') continue;
    const hit = levels.find((l) => value >= l.atLeast);
    if (hit) {
        alerts.push({
            topic: ${JSON.stringify(`${alertTopicPrefix}/`)} + deviceId,
            payload: { deviceId, level: hit.level, value, ts: reading.ts !== undefined ? reading.ts : Date.now() },
        });
    }
}
return [alerts];
`;
}

/** flows.json for the gas threshold flow on the given broker. */
export function gasThresholdFlow(options: GasThresholdFlowOptions): NodeRedNode[] {
  const prefix = options.topicPrefix ?? 'rw';
  const alertTopicPrefix = options.alertTopicPrefix ?? DEFAULT_ALERT_TOPIC_PREFIX;
  const tab = 'rw-bench-tab';
  return [
    { id: tab, type: 'tab', label: 'riskwatch bench: gas threshold', disabled: false, info: '' },
    {
      id: 'rw-bench-broker',
      type: 'mqtt-broker',
      name: 'bench broker',
      broker: options.brokerHost,
      port: String(options.brokerPort),
      clientid: '',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
    },
    {
      id: 'rw-bench-telemetry-in',
      type: 'mqtt in',
      z: tab,
      name: 'telemetry',
      topic: `${prefix}/telemetry/+`,
      qos: '0',
      datatype: 'json',
      broker: 'rw-bench-broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [['rw-bench-gas-rule']],
    },
    {
      id: 'rw-bench-gas-rule',
      type: 'function',
      z: tab,
      name: 'gas threshold',
      func: gasRuleSource(alertTopicPrefix),
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [['rw-bench-alerts-out']],
    },
    {
      id: 'rw-bench-alerts-out',
      type: 'mqtt out',
      z: tab,
      name: 'alerts',
      // Empty: each message's own msg.topic (nodered/alerts/<deviceId>) is used.
      topic: '',
      qos: '0',
      retain: 'false',
      broker: 'rw-bench-broker',
      wires: [],
    },
    {
      id: 'rw-bench-processed-in',
      type: 'http in',
      z: tab,
      name: 'processed',
      url: options.processedPath ?? DEFAULT_PROCESSED_PATH,
      method: 'get',
      upload: false,
      swaggerDoc: '',
      wires: [['rw-bench-processed-read']],
    },
    {
      id: 'rw-bench-processed-read',
      type: 'function',
      z: tab,
      name: 'read counter',
      func: "msg.payload = { processed: flow.get('processed') || 0 };\nreturn msg;\n",
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [['rw-bench-processed-out']],
    },
    { id: 'rw-bench-processed-out', type: 'http response', z: tab, name: '', statusCode: '200', headers: {}, wires: [] },
  ];
}
