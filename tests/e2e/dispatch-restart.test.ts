import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchOrder } from '../../src/contracts/order.js';
import { verifyWebhook } from '../../src/sinks/webhook-signature.js';
import { riskwatch, until } from '../helpers/cli-process.js';
import { connectClient, telemetry } from '../helpers/engine-harness.js';
import { getFreePort } from '../helpers/free-port.js';
import { openSse } from '../helpers/sse-client.js';
import { useTempDir } from '../helpers/temp-dir.js';

const SECRET = 'e2e-webhook-secret';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  respond: ServerResponse;
}

/** A dispatch system's webhook endpoint that either holds requests unanswered or answers 200. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[]; answering: { on: boolean } }> {
  const received: Received[] = [];
  const answering = { on: false };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      received.push({ headers: req.headers, body, respond: res });
      if (answering.on) res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}/riskwatch-hook`, received, answering };
}

/**
 * A crash between commit and delivery loses nothing: the engine process is killed (SIGKILL, no
 * cleanup) while the webhook receiver holds the order's delivery unanswered; the restarted process
 * delivers it again with the same idempotency key, and the SSE history still has it.
 */
describe('kill and restart between commit and delivery', () => {
  const dir = useTempDir('rw-kill-');
  let proc: ChildProcess | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterEach(async () => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    proc = undefined;
    receiver?.server.closeAllConnections();
    receiver?.server.close();
    receiver = undefined;
  });

  it('redelivers the committed order to the webhook after kill -9, once accepted, with the same key and a valid signature', async () => {
    receiver = await startReceiver();
    const [mqttPort, httpPort] = [await getFreePort(), await getFreePort()];
    const data = dir();
    const args = [
      'start', '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data', data, '--rules', 'rules',
      '--registry', 'registry/demo.yaml', '--webhook-url', receiver.url, '--webhook-secret', SECRET, '--webhook-timeout', '60s',
    ];
    const api = `http://127.0.0.1:${httpPort}`;
    const healthy = (run: ReturnType<typeof riskwatch>) => until(async () => ((await fetch(`${api}/health`)).ok ? true : undefined), `/health\n${run.output()}`);

    let run = riskwatch(args);
    proc = run.child;
    await healthy(run);
    const device = await connectClient(`mqtt://127.0.0.1:${mqttPort}`);
    await device.publishAsync('rw/telemetry/gd-0003', telemetry({ gas_lel_pct: 31 }), { qos: 1 });
    await device.endAsync();
    // The order is committed and its webhook delivery is in flight, unanswered.
    const first = await until(() => receiver!.received[0], `the first webhook request\n${run.output()}`);
    proc.kill('SIGKILL');
    await once(proc, 'exit');

    receiver.answering.on = true;
    run = riskwatch(args);
    proc = run.child;
    await healthy(run);
    const second = await until(() => receiver!.received[1], `the redelivery\n${run.output()}`);

    const key = first.headers['idempotency-key'];
    expect(key).toMatch(/^[0-9a-f-]{36}:1$/); // {orderId}:{version}
    expect(second.headers['idempotency-key']).toBe(key);
    expect(second.headers['webhook-id']).toBe(key);
    expect(second.body).toBe(first.body);
    const now = Math.floor(Date.now() / 1000);
    expect(verifyWebhook(SECRET, second.headers, second.body, now)).toBe(true);
    expect(verifyWebhook('wrong-secret', second.headers, second.body, now)).toBe(false);
    const event = JSON.parse(second.body) as { specversion: string; type: string; data: DispatchOrder };
    expect(event).toMatchObject({ specversion: '1.0', type: 'riskwatch.order.created', data: { deviceId: 'gd-0003', level: 'red' } });

    // Delivered now: nothing pending or dead; one order, not two.
    const health = await until(async () => {
      const h = (await (await fetch(`${api}/health`)).json()) as { counters: Record<string, number> };
      return h.counters.outboxPending === 0 ? h : undefined;
    }, 'an empty outbox');
    expect(health.counters.outboxPending).toBe(0);
    const dead = (await (await fetch(`${api}/api/deliveries/dead`)).json()) as unknown[] | { items: unknown[] };
    expect(Array.isArray(dead) ? dead : dead.items).toHaveLength(0);
    const orders = (await (await fetch(`${api}/api/orders`)).json()) as { total: number };
    expect(orders.total).toBe(1);

    // The SSE history survived the kill too: a client resuming from the start gets the order.
    const stream = await openSse(`${api}/api/orders/stream`, { 'Last-Event-ID': '0' });
    const [replayed] = await stream.waitFor(1);
    stream.close();
    expect(JSON.parse(replayed!.data)).toMatchObject({ id: key, type: 'riskwatch.order.created' });

    proc.kill('SIGTERM');
    const [code] = await once(proc, 'exit');
    expect(code).toBe(0);
    for (const r of receiver.received) if (!r.respond.writableEnded) r.respond.destroy();
  });
});
