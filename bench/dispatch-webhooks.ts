import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, setPriority } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OPTIONS, runBenchmark } from './run.js';

/**
 * Issue "dispatch closed loop", speed: order creation and outbox delivery must not slow detection.
 * publish → order p99 is measured without webhooks and with every order also delivered to a
 * receiver that takes `delayMs` (200 ms) per request, in alternating rounds (A B A B ...) so drift
 * of a shared machine hits both alike. Target: p99 with the slow webhook within 10 % of without.
 *
 * `node --expose-gc dist/bench/dispatch-webhooks.js [--rounds 3] [--seconds 10] [--rate 5000]`
 */
export interface ComparisonOptions { devices: number; rate: number; seconds: number; rounds: number; delayMs: number }

interface Run { p50: number; p99: number; p999: number; max: number; orders: number; missing: number; loopDelayP99: number; loopDelayMax: number }

export async function runWebhookComparison(options: ComparisonOptions) {
  const receiver = forkReceiver(options.delayMs);
  const [{ port }] = (await once(receiver, 'message')) as [{ port: number }];
  const webhookUrl = `http://127.0.0.1:${port}/orders`;
  const runs: { without: Run[]; withSlowWebhook: Run[] } = { without: [], withSlowWebhook: [] };
  const base = { ...DEFAULT_OPTIONS, devices: options.devices, rate: options.rate, seconds: options.seconds, only: 'latency' };
  try {
    for (let round = 0; round < options.rounds; round++) {
      runs.without.push(summary(await runBenchmark({ ...base, name: 'no-webhook' })));
      runs.withSlowWebhook.push(summary(await runBenchmark({ ...base, name: 'slow-webhook', webhookUrl })));
    }
    receiver.send('report');
    const [report] = (await once(receiver, 'message')) as [{ received: number; distinct: number; badSignatures: number }];
    const without = median(runs.without);
    const withSlowWebhook = median(runs.withSlowWebhook);
    return {
      name: 'dispatch-webhooks',
      machine: { cpus: cpus().length, node: process.version },
      config: { ...options, webhookConcurrency: 8 },
      without,
      withSlowWebhook,
      p99Ratio: Math.round((withSlowWebhook.p99 / without.p99) * 100) / 100,
      rounds: runs,
      receiver: report,
      target: { p99RatioAtMost: 1.1 },
    };
  } finally {
    receiver.kill();
  }
}

export function webhookMarkdown(r: Awaited<ReturnType<typeof runWebhookComparison>>): string {
  const ms = (n: number) => `${Math.round(n * 100) / 100} ms`;
  return [
    `### dispatch-webhooks — ${r.config.devices.toLocaleString('en')} devices, ${r.config.rate.toLocaleString('en')} msg/s background, ${r.config.rounds} alternating rounds (medians), ${r.machine.cpus} cores, Node ${r.machine.node}`,
    '',
    '| publish → order received | p50 | p99 | p99.9 | max | orders | engine event-loop delay p99 / max |',
    '|---|---|---|---|---|---|---|',
    `| no webhook | ${ms(r.without.p50)} | ${ms(r.without.p99)} | ${ms(r.without.p999)} | ${ms(r.without.max)} | ${r.without.orders} | ${ms(r.without.loopDelayP99)} / ${ms(r.without.loopDelayMax)} |`,
    `| every order also to a slow webhook (${r.config.delayMs} ms per request) | ${ms(r.withSlowWebhook.p50)} | ${ms(r.withSlowWebhook.p99)} | ${ms(r.withSlowWebhook.p999)} | ${ms(r.withSlowWebhook.max)} | ${r.withSlowWebhook.orders} | ${ms(r.withSlowWebhook.loopDelayP99)} / ${ms(r.withSlowWebhook.loopDelayMax)} |`,
    '',
    `p99 ratio ${r.p99Ratio}× (target ≤ 1.1×: ${r.p99Ratio <= 1.1 ? 'met' : '**missed**'}); the receiver got ${r.receiver.received} requests for ${r.receiver.distinct} distinct order versions, ${r.receiver.badSignatures} with a bad signature.`,
    '',
  ].join('\n');
}

function summary(r: Awaited<ReturnType<typeof runBenchmark>>): Run {
  const l = r.publishToOrder;
  return { p50: l.p50, p99: l.p99, p999: l.p999, max: l.max, orders: l.orders, missing: l.missing, loopDelayP99: r.engineLoopDelayMs.p99, loopDelayMax: r.engineLoopDelayMs.max };
}

/** Per field median over the rounds. */
function median(runs: Run[]): Run {
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  return {
    p50: mid(runs.map((r) => r.p50)), p99: mid(runs.map((r) => r.p99)), p999: mid(runs.map((r) => r.p999)),
    max: mid(runs.map((r) => r.max)), orders: mid(runs.map((r) => r.orders)), missing: runs.reduce((a, r) => a + r.missing, 0),
    loopDelayP99: mid(runs.map((r) => r.loopDelayP99)), loopDelayMax: mid(runs.map((r) => r.loopDelayMax)),
  };
}

function forkReceiver(delayMs: number): ChildProcess {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(fromSource ? './slow-webhook-receiver.ts' : './slow-webhook-receiver.js', import.meta.url));
  const child = fork(file, [String(delayMs)], { stdio: 'inherit', execArgv: fromSource ? ['--import', 'tsx'] : [] });
  // The receiver stands in for a dispatch system on another machine. On this 2-core box it would
  // otherwise take CPU from the engine at every request it is woken for (loopback delivers in the
  // sender's system call); at the lowest priority it only uses what the engine leaves idle.
  if (child.pid !== undefined) setPriority(child.pid, 19);
  return child;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options: ComparisonOptions = { devices: 10_000, rate: 5_000, seconds: 10, rounds: 3, delayMs: 200 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!.replace(/^--/, '') as keyof ComparisonOptions;
    if (!(key in options)) throw new Error(`unknown flag ${argv[i]}`);
    options[key] = Number(argv[i + 1]);
  }
  const result = await runWebhookComparison(options);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(join('bench/results', 'dispatch-webhooks.json'), `${JSON.stringify(result, null, 2)}\n`);
  const table = webhookMarkdown(result);
  writeFileSync(join('bench/results', 'dispatch-webhooks.md'), table);
  console.log(table);
  process.exit(0);
}
