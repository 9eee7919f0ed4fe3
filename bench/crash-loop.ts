import BetterSqlite3 from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { environment, packageRoot, percentiles, round, parseFlags, type Percentiles } from './bench-environment.js';
import { benchMosquittoConfig } from './peers/mosquitto-broker.js';
import { launchMosquitto, type MosquittoProcess } from './peers/mosquitto-process.js';
import { getFreePort } from './peers/free-port.js';
import { spawnManaged, type ManagedProcess } from './peers/managed-process.js';
import { streamFor } from '../simulators/random.js';
import { parseDuration } from '../src/core/duration.js';

/**
 * Issue 10 — the crash loop: the built engine (`riskwatch start`, a child process) under a
 * simulated fleet at about 1 000 msg/s, killed with SIGKILL at random moments and restarted each
 * time, with labelled incidents injected meanwhile. Afterwards, on the SQLite file and what an
 * external subscriber received, the invariants of "no finding is lost in a crash":
 *
 * 1. every committed alert has its order (every scenario here dispatches);
 * 2. no alert has two orders;
 * 3. every order reached the external MQTT subscriber at least once, and the subscriber's set of
 *    orders equals the database's;
 * 4. every labelled incident was detected;
 * 5. every armed duration fired no later than its due time + the checkpoint interval + the
 *    restart time (+ one reporting period: a `for` duration whose start was not checkpointed
 *    starts again at the first reading after the restart).
 *
 * The broker is mosquitto, outside the engine: the embedded broker dies with the engine, and with
 * it the subscriber's session and whatever is published before the subscriber reconnects, so (3)
 * can only hold where the broker outlives the engine — as it does in a deployment with `--broker`.
 *
 * `node dist/bench/crash-loop.js [--kills 24] [--duration-seconds 300] [--households 667]
 *   [--report-every-ms 1000] [--incidents 40] [--checkpoint-interval 5s] [--seed 1]
 *   [--out bench/results] [--name crash-loop]`
 */
export interface CrashLoopOptions {
  /** Each has a water meter; every other one a gas detector; every fourth is an elderly resident living alone. */
  households: number;
  /** Every device reports this often (wall clock). */
  reportEveryMs: number;
  /** How long the fleet publishes. */
  durationSeconds: number;
  kills: number;
  /** Labelled incidents, spread over the kinds. */
  incidents: number;
  checkpointInterval: string;
  seed: number;
  out: string;
  name: string;
}

export const DEFAULT_CRASH_LOOP_OPTIONS: Readonly<CrashLoopOptions> = {
  households: 667, reportEveryMs: 1_000, durationSeconds: 300, kills: 24, incidents: 40, checkpointInterval: '5s', seed: 1, out: 'bench/results', name: 'crash-loop',
};

const SECOND = 1_000;
/** Durations of the scenarios below: seconds, so incidents resolve inside a run. */
const OFFLINE_BLUE_MS = 20 * SECOND;
const RUNNING_YELLOW_MS = 10 * SECOND;
const NO_WATER_YELLOW_MS = 20 * SECOND;
/** An incident starts no later than this before the fleet stops, so it is due and detected inside the run. */
const INCIDENT_TAIL_MS = 32 * SECOND;
/** Commit, relay and the engine's own timer wake-up on top of the bound. */
const SLACK_MS = 1_000;

const RULES: Record<string, string> = {
  'meter-offline.yaml': `id: meter-offline
name: Meter offline (crash loop)
category: device
model: offline
appliesTo: { deviceTypes: [water_meter] }
levels: { blue: 20s, yellow: 10m }
dispatch: true
`,
  'water-running-continuously.yaml': `id: water-running-continuously
name: Water running continuously (crash loop)
category: water
model: threshold
appliesTo: { deviceTypes: [water_meter] }
metric: flow_lpm
levels: { yellow: "value > 0.5" }
for: { yellow: 10s }
reset: { yellow: "value < 0.2" }
maxGap: 60s
dispatch: true
`,
  'elderly-no-water.yaml': `id: elderly-no-water
name: Elderly resident living alone uses no water (crash loop)
category: elderly_care
model: inactivity
appliesTo:
  deviceTypes: [water_meter]
  when: "subject.livingAlone && has(subject.age) && subject.age >= 60"
keyBy: subject
active: "metrics.flow_lpm > 0.1"
levels: { yellow: 20s, orange: 10m }
maxSilence: 60s
dispatch: true
`,
  'gas-concentration.yaml': `id: gas-concentration
name: Combustible gas concentration (crash loop)
category: gas
model: threshold
appliesTo: { deviceTypes: [gas_detector] }
metric: gas_lel_pct
levels: { red: "value >= 25", orange: "value >= 10" }
reset: { red: "value < 20", orange: "value < 8" }
dispatch: true
`,
};

type IncidentKind = 'gas_leak' | 'tap_left_running' | 'meter_silent' | 'elderly_no_water';

interface Incident {
  id: string;
  kind: IncidentKind;
  deviceId: string;
  /** The alert's key: the device, or the household for elderly-no-water. */
  key: string;
  scenarioId: string;
  /** Offset from the fleet's start. */
  startOffsetMs: number;
  startAt?: number;
  /** When the scenario is due, from what was actually published (see `dueOf`). */
  due?: number;
  detectedAt?: number;
}

interface Device {
  id: string;
  kind: 'water' | 'gas';
  household: number;
  elder: boolean;
  /** Wall time of its last publish, and of its last active (flow > 0.1) publish. */
  lastPublishAt: number;
  lastActiveAt: number;
  incident?: Incident;
  nextAt: number;
}

interface Kill {
  at: number;
  /** SIGKILL → the restarted engine answers /health. */
  restartMs: number;
  /**
   * How long the killed engine had been running since the newest checkpoint (or since it started,
   * when it had written none yet: what it restored was durable already): the changes a crash
   * loses are those made in this window.
   */
  uncheckpointedMs: number;
}

function registryOf(households: number) {
  const subjects = [];
  const devices = [];
  for (let h = 1; h <= households; h++) {
    const elder = h % 4 === 0;
    subjects.push({ id: `hh-${h}`, kind: 'household', place: 'gr-1', livingAlone: elder, age: elder ? 80 : 40 });
    devices.push({ id: `wm-${h}`, type: 'water_meter', subject: `hh-${h}`, reportEvery: '1s' });
    if (h % 2 === 1) devices.push({ id: `gd-${h}`, type: 'gas_detector', subject: `hh-${h}`, reportEvery: '1s' });
  }
  return {
    places: [
      { id: 'st-1', kind: 'street', name: 'Street 1', timeZone: 'Asia/Shanghai' },
      { id: 'cm-1', kind: 'community', name: 'Community 1', parent: 'st-1' },
      { id: 'gr-1', kind: 'grid', name: 'Grid 1', parent: 'cm-1' },
    ],
    subjects,
    devices,
  };
}

/** What a device reports now: quiet, unless its incident has started. */
function metricsOf(device: Device, now: number): Record<string, number> | undefined {
  const incident = device.incident;
  const on = incident?.startAt !== undefined && now >= incident.startAt;
  if (device.kind === 'gas') return { gas_lel_pct: on ? 31 : 0 };
  if (on && incident!.kind === 'meter_silent') return undefined;
  // 0.3 L/min: activity for the elderly scenario, below the running-water threshold.
  const flow = on ? (incident!.kind === 'tap_left_running' ? 6 : 0) : 0.3;
  return { flow_lpm: flow, total_m3: 10 };
}

/** The instant the incident's scenario is due, from what its device actually published. */
function dueOf(incident: Incident, device: Device, firstIncidentPublish: number | undefined): number | undefined {
  switch (incident.kind) {
    case 'gas_leak':
      return firstIncidentPublish;
    case 'tap_left_running':
      return firstIncidentPublish === undefined ? undefined : firstIncidentPublish + RUNNING_YELLOW_MS;
    case 'meter_silent':
      return device.lastPublishAt + OFFLINE_BLUE_MS;
    case 'elderly_no_water':
      return device.lastActiveAt + NO_WATER_YELLOW_MS;
  }
}

function plan(options: CrashLoopOptions, devices: Device[]) {
  const rng = streamFor(options.seed, 'crash-loop');
  const durationMs = options.durationSeconds * SECOND;
  const water = devices.filter((d) => d.kind === 'water');
  const pools: Record<IncidentKind, Device[]> = {
    gas_leak: devices.filter((d) => d.kind === 'gas'),
    tap_left_running: water.filter((d) => !d.elder),
    meter_silent: water.filter((d) => !d.elder),
    elderly_no_water: water.filter((d) => d.elder),
  };
  const scenarioOf: Record<IncidentKind, string> = {
    gas_leak: 'gas-concentration', tap_left_running: 'water-running-continuously', meter_silent: 'meter-offline', elderly_no_water: 'elderly-no-water',
  };
  const kinds = Object.keys(pools) as IncidentKind[];
  const incidents: Incident[] = [];
  const latestStart = Math.max(5 * SECOND, durationMs - INCIDENT_TAIL_MS);
  for (let i = 0; i < options.incidents; i++) {
    const kind = kinds[i % kinds.length]!;
    const free = pools[kind].filter((d) => d.incident === undefined);
    if (free.length === 0) continue;
    const device = free[rng.int(0, free.length - 1)]!;
    const incident: Incident = {
      id: `inc-${String(i + 1).padStart(3, '0')}`, kind, deviceId: device.id, key: kind === 'elderly_no_water' ? `hh-${device.household}` : device.id,
      scenarioId: scenarioOf[kind], startOffsetMs: Math.round(rng.uniform(3 * SECOND, latestStart)),
    };
    device.incident = incident;
    incidents.push(incident);
  }
  // Kills at random moments after the first 4 s (each waits until the engine it kills is up).
  const killOffsets = Array.from({ length: options.kills }, () => Math.round(rng.uniform(4 * SECOND, durationMs - 2 * SECOND))).sort((a, b) => a - b);
  return { incidents, killOffsets };
}

async function launchBroker(dir: string): Promise<MosquittoProcess> {
  const configFile = join(dir, 'mosquitto.conf');
  for (let attempt = 1; ; attempt++) {
    const port = await getFreePort();
    writeFileSync(configFile, benchMosquittoConfig(port), { mode: 0o644 });
    try {
      return await launchMosquitto(configFile, port);
    } catch (err) {
      if (attempt >= 3 || !/in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function healthy(api: string): Promise<boolean> {
  try {
    return (await fetch(`${api}/health`)).ok;
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, engine?: ManagedProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const failure = engine?.failure();
    if (failure) throw new Error(`${failure} while waiting for ${what}:\n${engine!.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${engine ? `:\n${engine.output()}` : ''}`);
    await sleep(25);
  }
}

function newestCheckpoint(dbFile: string): number | undefined {
  try {
    const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT max(taken_at) FROM model_state').pluck().get() as number | null) ?? undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

export async function runCrashLoop(options: CrashLoopOptions) {
  const root = packageRoot();
  const dir = mkdtempSync('/tmp/ckpt-crash-loop-');
  // Started as root, mosquitto drops to its own user and must still read its config.
  chmodSync(dir, 0o755);
  const paths = { rules: join(dir, 'rules'), registry: join(dir, 'registry.json'), data: join(dir, 'data') };
  mkdirSync(paths.rules);
  for (const [file, text] of Object.entries(RULES)) writeFileSync(join(paths.rules, file), text);
  const registry = registryOf(options.households);
  writeFileSync(paths.registry, JSON.stringify(registry));
  const devices: Device[] = registry.devices.map((d) => ({
    id: d.id, kind: d.type === 'water_meter' ? 'water' : 'gas', household: Number(d.subject.slice(3)), elder: Number(d.subject.slice(3)) % 4 === 0,
    lastPublishAt: 0, lastActiveAt: 0, nextAt: 0,
  }));
  const { incidents, killOffsets } = plan(options, devices);
  const intervalMs = parseDuration(options.checkpointInterval);

  let broker: MosquittoProcess | undefined;
  let engine: ManagedProcess | undefined;
  const clients: MqttClient[] = [];
  try {
    broker = await launchBroker(dir);
    const brokerUrl = `mqtt://127.0.0.1:${broker.port}`;
    const httpPort = await getFreePort();
    const api = `http://127.0.0.1:${httpPort}`;
    const args = [
      join(root, 'bin', 'riskwatch.js'), 'start', '--broker', brokerUrl, '--http-port', String(httpPort), '--http-host', '127.0.0.1',
      '--data', paths.data, '--rules', paths.rules, '--registry', paths.registry, '--checkpoint-interval', options.checkpointInterval, '--log-level', 'warn',
    ];
    let spawnedAt = 0;
    const startEngine = async (): Promise<number> => {
      const began = Date.now();
      spawnedAt = began;
      engine = spawnManaged(process.execPath, args, { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
      await waitFor('the engine to answer /health', async () => ((await healthy(api)) ? true : undefined), 30_000, engine);
      return Date.now() - began;
    };

    // The dispatch system: a persistent session on the broker, QoS 1, so it misses nothing while the engine is down.
    const received = new Map<string, number>();
    const dispatch = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4, clientId: `crash-loop-dispatch-${process.pid}`, clean: false, reconnectPeriod: 200 });
    clients.push(dispatch);
    dispatch.on('message', (topic) => {
      const orderId = topic.split('/').at(-1)!;
      received.set(orderId, (received.get(orderId) ?? 0) + 1);
    });
    await dispatch.subscribeAsync(['rw/orders/grid/+', 'rw/orders/community/+', 'rw/orders/street/+'], { qos: 1 });

    const firstStartMs = await startEngine();
    const fleet = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4, clientId: `crash-loop-fleet-${process.pid}`, reconnectPeriod: 200 });
    clients.push(fleet);

    // The fleet: every device every reportEveryMs, phases spread, incidents switched on at their time.
    const startedAt = Date.now();
    const endAt = startedAt + options.durationSeconds * SECOND;
    for (const incident of incidents) incident.startAt = startedAt + incident.startOffsetMs;
    const firstIncidentPublish = new Map<string, number>();
    devices.forEach((d, i) => (d.nextAt = startedAt + Math.floor((i * options.reportEveryMs) / devices.length)));
    let published = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing && Date.now() < endAt) {
        const now = Date.now();
        for (const device of devices) {
          if (device.nextAt > now) continue;
          device.nextAt += options.reportEveryMs;
          const metrics = metricsOf(device, now);
          if (metrics === undefined) continue;
          fleet.publish(`rw/telemetry/${device.id}`, JSON.stringify({ ts: now, metrics }), { qos: 0 });
          published++;
          device.lastPublishAt = now;
          if ((metrics.flow_lpm ?? 0) > 0.1) device.lastActiveAt = now;
          const incident = device.incident;
          if (incident?.startAt !== undefined && now >= incident.startAt && !firstIncidentPublish.has(incident.id)) firstIncidentPublish.set(incident.id, now);
        }
        await sleep(10);
      }
    })();

    // The crashes.
    const kills: Kill[] = [];
    for (const offset of killOffsets) {
      const wait = startedAt + offset - Date.now();
      if (wait > 0) await sleep(wait);
      const victim = engine!;
      const victimSpawnedAt = spawnedAt;
      victim.child.kill('SIGKILL');
      const at = Date.now();
      await victim.exited;
      const newest = newestCheckpoint(join(paths.data, 'riskwatch.db'));
      const restartMs = await startEngine();
      kills.push({ at, restartMs, uncheckpointedMs: at - Math.max(newest ?? 0, victimSpawnedAt) });
    }
    await publisher;
    publishing = false;
    const fleetSeconds = (Date.now() - startedAt) / SECOND;

    // Everything committed is delivered; then the graceful stop.
    await waitFor('an empty outbox', async () => {
      try {
        const health = (await (await fetch(`${api}/health`)).json()) as { counters: { outboxPending: number } };
        return health.counters.outboxPending === 0 ? true : undefined;
      } catch {
        return undefined;
      }
    }, 30_000, engine);
    const current = engine!;
    current.child.kill('SIGTERM');
    await current.exited;
    const exitCode = current.child.exitCode;

    // The record: the database as the engine left it.
    const db = new BetterSqlite3(join(paths.data, 'riskwatch.db'), { readonly: true, fileMustExist: true });
    const alerts = db.prepare('SELECT id, scenario_id AS scenarioId, key, opened_at AS openedAt FROM alerts').all() as Array<{ id: string; scenarioId: string; key: string; openedAt: number }>;
    const orders = db.prepare('SELECT id, alert_id AS alertId FROM orders').all() as Array<{ id: string; alertId: string }>;
    const checkpointRows = db.prepare('SELECT count(*) FROM model_state').pluck().get() as number;
    db.close();
    const ordersByAlert = new Map<string, number>();
    for (const o of orders) ordersByAlert.set(o.alertId, (ordersByAlert.get(o.alertId) ?? 0) + 1);
    const alertsWithoutOrder = alerts.filter((a) => !ordersByAlert.has(a.id)).map((a) => a.id);
    const alertsWithTwoOrders = [...ordersByAlert].filter(([, n]) => n > 1).map(([id]) => id);
    // QoS 1 messages may reach the subscriber a moment after the engine's PUBACK.
    const dbOrders = new Set(orders.map((o) => o.id));
    await waitFor('the subscriber to receive every order', () => ([...dbOrders].every((id) => received.has(id)) ? true : undefined), 10_000).catch(() => undefined);
    const notReceived = [...dbOrders].filter((id) => !received.has(id));
    const receivedNotInDb = [...received.keys()].filter((id) => !dbOrders.has(id));
    const duplicates = [...received.values()].filter((n) => n > 1).length;

    // Incidents: detected, and how late against the bound.
    const maxRestartMs = Math.max(firstStartMs, ...kills.map((k) => k.restartMs));
    const boundMs = intervalMs + maxRestartMs + options.reportEveryMs + SLACK_MS;
    const byDevice = new Map(devices.map((d) => [d.id, d]));
    const matched = new Set<string>();
    const lateness: number[] = [];
    for (const incident of incidents) {
      incident.due = dueOf(incident, byDevice.get(incident.deviceId)!, firstIncidentPublish.get(incident.id));
      const alert = alerts.find((a) => a.scenarioId === incident.scenarioId && a.key === incident.key && a.openedAt >= (incident.startAt ?? 0));
      if (alert) {
        matched.add(alert.id);
        incident.detectedAt = alert.openedAt;
        if (incident.due !== undefined) lateness.push(alert.openedAt - incident.due);
      }
    }
    const missed = incidents.filter((i) => i.detectedAt === undefined);
    const tooLate = incidents.filter((i) => i.detectedAt !== undefined && i.due !== undefined && i.detectedAt - i.due > boundMs);
    const falseAlerts: Record<string, number> = {};
    for (const a of alerts) if (!matched.has(a.id)) falseAlerts[a.scenarioId] = (falseAlerts[a.scenarioId] ?? 0) + 1;
    const restarts = percentiles(Float64Array.from(kills.map((k) => k.restartMs)));

    return {
      name: options.name,
      ...environment(),
      config: {
        households: options.households, devices: devices.length, reportEveryMs: options.reportEveryMs, durationSeconds: options.durationSeconds,
        kills: options.kills, incidents: incidents.length, checkpointInterval: options.checkpointInterval, seed: options.seed,
        broker: 'mosquitto (external, outlives the engine)', scenarios: { offlineBlueMs: OFFLINE_BLUE_MS, runningYellowMs: RUNNING_YELLOW_MS, noWaterYellowMs: NO_WATER_YELLOW_MS },
      },
      fleet: { published, seconds: round(fleetSeconds, 1), messagesPerSecond: round(published / fleetSeconds, 0) },
      restarts: { firstStartMs, killToHealthyMs: restarts, uncheckpointedAtKillMs: kills.length > 0 ? percentiles(Float64Array.from(kills.map((k) => k.uncheckpointedMs))) : undefined },
      store: { alerts: alerts.length, orders: orders.length, checkpointRows, exitCode },
      invariants: {
        everyAlertHasItsOrder: alertsWithoutOrder.length === 0,
        noAlertHasTwoOrders: alertsWithTwoOrders.length === 0,
        subscriberSetEqualsDatabase: notReceived.length === 0 && receivedNotInDb.length === 0,
        everyIncidentDetected: missed.length === 0,
        everyDurationWithinBound: tooLate.length === 0,
      },
      violations: {
        alertsWithoutOrder, alertsWithTwoOrders, ordersNotReceived: notReceived, receivedNotInDatabase: receivedNotInDb,
        missedIncidents: missed.map(({ id, kind, key }) => ({ id, kind, key })),
        lateIncidents: tooLate.map(({ id, kind, key, due, detectedAt }) => ({ id, kind, key, lateMs: detectedAt! - due! })),
      },
      deliveredMoreThanOnce: duplicates,
      falseAlerts,
      lateness: { boundMs, bound: 'checkpoint interval + slowest restart + one reporting period + 1 s', detectionLatenessMs: percentiles(Float64Array.from(lateness)) },
      incidents: incidents.map(({ id, kind, key, scenarioId, startAt, due, detectedAt }) => ({ id, kind, key, scenarioId, startAt, due, detectedAt })),
      kills,
    };
  } finally {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await engine?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function crashLoopMarkdown(r: Awaited<ReturnType<typeof runCrashLoop>>): string {
  const ms = (p: Percentiles | undefined) => (p ? `${round(p.p50, 0)} / ${round(p.p99, 0)} / ${round(p.max, 0)} ms` : 'n/a');
  const yes = (ok: boolean) => (ok ? 'holds' : '**violated**');
  const c = r.config;
  return [
    `### ${r.name} — ${c.kills} × kill -9 under ${r.fleet.messagesPerSecond.toLocaleString('en')} msg/s, checkpoint every ${c.checkpointInterval}, ${r.machine.cpus} cores, Node ${r.versions.node}`,
    '',
    `${c.devices.toLocaleString('en')} devices (${c.households} households) reporting every ${c.reportEveryMs} ms for ${r.fleet.seconds} s through ${c.broker}; `
      + `${c.incidents} labelled incidents; scenarios of ${c.scenarios.offlineBlueMs / 1000} s (offline), ${c.scenarios.runningYellowMs / 1000} s (water running), ${c.scenarios.noWaterYellowMs / 1000} s (no water), gas at once.`,
    '',
    '| invariant | result |',
    '|---|---|',
    `| every committed alert has its order | ${yes(r.invariants.everyAlertHasItsOrder)} (${r.store.alerts} alerts, ${r.violations.alertsWithoutOrder.length} without) |`,
    `| no alert has two orders | ${yes(r.invariants.noAlertHasTwoOrders)} (${r.store.orders} orders) |`,
    `| every order reached the subscriber; its set equals the database's | ${yes(r.invariants.subscriberSetEqualsDatabase)} (${r.deliveredMoreThanOnce} delivered more than once) |`,
    `| every labelled incident detected | ${yes(r.invariants.everyIncidentDetected)} (${c.incidents - r.violations.missedIncidents.length} / ${c.incidents}) |`,
    `| every duration fired by due + ${r.lateness.bound} (${r.lateness.boundMs} ms) | ${yes(r.invariants.everyDurationWithinBound)} |`,
    '',
    '| measure | p50 / p99 / max |',
    '|---|---|',
    `| kill -9 → restarted engine answers /health (restore included) | ${ms(r.restarts.killToHealthyMs)} |`,
    `| running time since the newest checkpoint when the engine died (the changes a crash lost) | ${ms(r.restarts.uncheckpointedAtKillMs)} |`,
    `| incident due → alert opened | ${ms(r.lateness.detectionLatenessMs)} |`,
    '',
    `Alerts no incident explains (false alarms, e.g. a meter whose last message a crash lost): ${JSON.stringify(r.falseAlerts)}. First start ${r.restarts.firstStartMs} ms; graceful stop exit code ${r.store.exitCode}.`,
    '',
  ].join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_CRASH_LOOP_OPTIONS);
  const result = await runCrashLoop(options);
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, `${options.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const table = crashLoopMarkdown(result);
  writeFileSync(join(options.out, `${options.name}.md`), table);
  console.log(table);
  process.exit(Object.values(result.invariants).every(Boolean) ? 0 : 1);
}
