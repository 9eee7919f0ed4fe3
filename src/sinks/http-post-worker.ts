import { parentPort } from 'node:worker_threads';
import { createHttpPost } from './http-post.js';

/**
 * The webhook HTTP client, on a worker thread: requests, socket writes and response parsing run
 * here, so a slow or busy receiver never takes time from the engine's event loop, where readings
 * wait. The main thread signs the request and records the outcome; this thread only talks HTTP.
 *
 * Messages in: `{ id, url, headers, body, timeoutMs, maxSockets }` to send, `{ abort: id }` to abort one.
 * Messages out: `{ id, status, retryAfter }` or `{ id, error: { message, code } }`.
 */
interface SendMessage { id: number; url: string; headers: Record<string, string>; body: string; timeoutMs: number; maxSockets: number }
interface AbortMessage { abort: number }

const port = parentPort!;
let http: ReturnType<typeof createHttpPost> | undefined;
const inFlight = new Map<number, AbortController>();

port.on('message', (message: SendMessage | AbortMessage) => {
  if ('abort' in message) {
    inFlight.get(message.abort)?.abort();
    return;
  }
  http ??= createHttpPost(message.maxSockets);
  const controller = new AbortController();
  inFlight.set(message.id, controller);
  http.post(message.url, { headers: message.headers, body: message.body, signal: controller.signal, timeoutMs: message.timeoutMs }).then(
    (result) => port.postMessage({ id: message.id, status: result.status, retryAfter: result.retryAfter }),
    (err: Error & { code?: string }) => port.postMessage({ id: message.id, error: { message: err.message, code: err.code } }),
  ).finally(() => inFlight.delete(message.id));
});
