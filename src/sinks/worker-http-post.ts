import { Worker } from 'node:worker_threads';
import type { HttpPost, PostResult } from './http-post.js';

interface Reply { id: number; status?: number; retryAfter?: string | null; error?: { message: string; code?: string } }

/**
 * `HttpPost` on a worker thread (see http-post-worker.ts for why). One worker per relay; `close()`
 * ends it. Aborting the caller's signal (timeout, stop) aborts the request in the worker and rejects
 * at once. The worker is unref'd: it never keeps the process alive by itself.
 */
export function createWorkerHttpPost(maxSockets: number): { post: HttpPost; close(): void } {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = new URL(fromSource ? './http-post-worker.ts' : './http-post-worker.js', import.meta.url);
  // Under tests the sources run through tsx: the worker registers the same loader first (a worker
  // does not take `--import` from execArgv on Node 20).
  const worker = fromSource
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`, { eval: true })
    : new Worker(script);
  worker.unref();
  const waiting = new Map<number, { resolve(r: PostResult): void; reject(e: Error): void }>();
  let nextId = 0;
  worker.on('message', (reply: Reply) => {
    const pending = waiting.get(reply.id);
    if (!pending) return; // aborted meanwhile
    waiting.delete(reply.id);
    if (reply.error) pending.reject(Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {}));
    else pending.resolve({ status: reply.status ?? 0, retryAfter: reply.retryAfter ?? null });
  });
  const failAll = (err: Error) => {
    for (const pending of waiting.values()) pending.reject(err);
    waiting.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', () => failAll(new Error('webhook HTTP worker exited')));

  const post: HttpPost = (url, { headers, body, signal, timeoutMs }) =>
    new Promise<PostResult>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const id = ++nextId;
      waiting.set(id, { resolve, reject });
      signal.addEventListener('abort', () => {
        if (!waiting.delete(id)) return;
        worker.postMessage({ abort: id });
        reject(signal.reason as Error);
      }, { once: true });
      worker.postMessage({ id, url, headers, body, timeoutMs, maxSockets });
    });
  return {
    post,
    close() {
      failAll(new Error('webhook relay stopped'));
      void worker.terminate();
    },
  };
}
