import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, connectClient, ORDER_FILTERS, telemetry } from '../helpers/engine-harness.js';
import { riskwatch, until } from '../helpers/cli-process.js';
import { getFreePort } from '../helpers/free-port.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('riskwatch CLI (built bin)', () => {
  const dir = useTempDir('rw-cli-');
  let proc: ChildProcess | undefined;
  afterEach(() => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    proc = undefined;
  });

  it('start: runs the engine alone with the contract flags, serves the API, stops cleanly on SIGTERM', async () => {
    const [mqttPort, httpPort] = [await getFreePort(), await getFreePort()];
    const run = riskwatch(['start', '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data', dir(), '--rules', 'rules', '--registry', 'registry/demo.yaml']);
    proc = run.child;
    const health = await until(async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/health`);
      return res.ok ? ((await res.json()) as { status: string; broker: { kind: string } }) : undefined;
    }, `/health\n${run.output()}`);
    expect(health).toMatchObject({ status: 'ok', broker: { kind: 'embedded' } });

    const device = await connectClient(`mqtt://127.0.0.1:${mqttPort}`);
    const dispatcher = await connectClient(`mqtt://127.0.0.1:${mqttPort}`);
    const orders = await collect(dispatcher, ORDER_FILTERS);
    await device.publishAsync('rw/telemetry/gd-0005', telemetry({ gas_lel_pct: 27 }), { qos: 1 });
    await orders.next();
    const list = (await (await fetch(`http://127.0.0.1:${httpPort}/api/orders?level=red`)).json()) as { total: number; items: Array<{ deviceId: string }> };
    expect(list.total).toBe(1);
    expect(list.items[0]!.deviceId).toBe('gd-0005');
    const scenarios = (await (await fetch(`http://127.0.0.1:${httpPort}/api/scenarios`)).json()) as { items: Array<{ id: string }> };
    expect(scenarios.items.map((s) => s.id)).toContain('elderly-no-water');
    await Promise.all([device.endAsync(), dispatcher.endAsync()]);

    proc.kill('SIGTERM');
    const [code] = await once(proc, 'exit');
    expect(code).toBe(0);
    expect(run.output()).not.toMatch(/\+86 000/); // no resident or duty phone number in the logs
  });

  it('rules validate: reports a broken scenario with file, line and field, and fails', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir()}/broken.yaml`, 'id: broken\nname: Broken\ncategory: gas\nmodel: threshold\nappliesTo: { deviceTypes: [gas_detector] }\nmetric: gas_lel_pct\nlevels:\n  red: "value >="\n');
    const run = riskwatch(['rules', 'validate', dir()]);
    proc = run.child;
    const [code] = await once(proc, 'exit');
    expect(code).toBe(1);
    expect(run.output()).toMatch(/broken\.yaml:8:\d+ levels\.red/);
  });

  it('refuses a bad flag value with a coded error', async () => {
    const run = riskwatch(['start', '--mqtt-port', 'many']);
    proc = run.child;
    const [code] = await once(proc, 'exit');
    expect(code).toBe(1);
    expect(run.output()).toContain('ERR_CONFIG_INVALID');
  });
});

describe('npm start (the demo)', () => {
  const dir = useTempDir('rw-demo-');
  let proc: ChildProcess | undefined;
  afterEach(() => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    proc = undefined;
  });

  // The demo fleet runs on the wall clock by design (it is a live show); this waits for its
  // first incident (a gas leak injected 12 s in), not for any timer logic.
  it('shows readable alert and order lines for the injected incidents', async () => {
    const [mqttPort, httpPort] = [await getFreePort(), await getFreePort()];
    const run = riskwatch(['demo', '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data', dir()]);
    proc = run.child;
    await until(() => (/ORDER/.test(run.output()) && /ALERT .*gas-concentration/.test(run.output()) ? true : undefined), `demo output\n${run.output()}`, 45_000);
    const out = run.output();
    expect(out).toMatch(/ALERT\s+● (ORANGE|RED)\s+gas-concentration/);
    // "respond by 14:05", or "respond by 23 Nov, 00:18" when the deadline falls on another day.
    expect(out).toMatch(/ORDER\s+▶ (NEW|ESCALATED)\s+→ (community|street) ".+"[^;\n]*; respond by (\d+ \w+, )?\d\d:\d\d/);
    expect(out).not.toMatch(/\+86 000|DEMO-ID|虚构）/); // no personal data on screen
    proc.kill('SIGINT');
    const [code] = await once(proc, 'exit');
    expect(code).toBe(0);
  }, 60_000);
});
