import { Registry } from './dist/src/registry/registry.js';
import { benchFleet } from './dist/bench/bench-fleet.js';
import { resolveConfig } from './dist/src/core/config.js';
import { createEngine } from './dist/src/engine.js';
import { pino } from 'pino';
import { mkdtempSync } from 'node:fs';
import v8 from 'node:v8';
const N = 20000;
const { registry, byType } = (() => { const f = benchFleet(N); return { registry: new Registry(f.registry), byType: f.byType }; })();
const config = resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: mkdtempSync('/tmp/rw-snap-'), rules: 'rules', log: { level: 'warn' } });
const engine = createEngine(config, { registry, logger: pino({ level: 'warn' }) });
await engine.start();
const now = Date.now();
for (const d of registry.devices()) {
  const id = d.id;
  const m = id.startsWith('wm') ? { flow_lpm: 0, total_m3: 1 } : id.startsWith('gd') ? { gas_lel_pct: 0.5 } : { smoke_alarm: false };
  engine.ingest(`rw/telemetry/${id}`, Buffer.from(JSON.stringify({ ts: now, metrics: m })));
}
engine.commitPending();
gc();
const file = v8.writeHeapSnapshot('/tmp/rw.heapsnapshot');
console.log(file);
process.exit(0);
