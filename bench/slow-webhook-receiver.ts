import { createServer } from 'node:http';
import { verifyWebhook } from '../src/sinks/webhook-signature.js';

/**
 * A downstream dispatch system that answers every webhook slowly (`delayMs`, 200 ms by default):
 * its own process, as it would be in a deployment, so its work does not land on the engine's
 * event loop. Reports over IPC how many events it received and whether their signatures held.
 */
const delayMs = Number(process.argv[2] ?? 200);
const secret = process.argv[3] ?? 'bench-secret';
let received = 0;
let badSignatures = 0;
const keys = new Set<string>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    received++;
    if (!verifyWebhook(secret, req.headers, body, Math.floor(Date.now() / 1000))) badSignatures++;
    keys.add(String(req.headers['idempotency-key']));
    setTimeout(() => res.writeHead(200).end(), delayMs);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as { port: number }).port });
});

process.on('message', () => {
  process.send?.({ received, distinct: keys.size, badSignatures });
});
