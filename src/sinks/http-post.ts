import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What a webhook relay needs to know of an answer. */
export interface PostResult {
  status: number;
  /** The `Retry-After` header, if any. */
  retryAfter: string | null;
}

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  /** Aborts the request (the relay stopping). */
  signal: AbortSignal;
  /**
   * Until the response headers arrive, counted from when the request is sent. Real time, not the
   * engine clock: it bounds a wait on a real socket, which the engine clock (virtual in replay and
   * tests) knows nothing about.
   */
  timeoutMs: number;
}

/** The code of the error a post fails with when its timeout passed. */
export const POST_TIMEOUT_CODE = 'ERR_WEBHOOK_POST_TIMEOUT';

export function isPostTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === POST_TIMEOUT_CODE;
}

/** One POST; resolves when the response headers arrive (the body is discarded, never buffered). */
export type HttpPost = (url: string, options: PostOptions) => Promise<PostResult>;

/**
 * POST over node:http(s) with keep-alive agents, one per relay. Not `fetch`: measured here,
 * undici's fetch cost 400–700 µs of CPU per small POST against 130–210 µs for `http.request`,
 * and that CPU is taken from the engine's event loop, which is where readings wait. Redirects are
 * not followed (Standard Webhooks: a redirect is a failure).
 */
export function createHttpPost(maxSockets: number): { post: HttpPost; close(): void } {
  const http = new HttpAgent({ keepAlive: true, maxSockets });
  const https = new HttpsAgent({ keepAlive: true, maxSockets });
  const post: HttpPost = (url, { headers, body, signal, timeoutMs }) =>
    new Promise((resolve, reject) => {
      const secure = url.startsWith('https:');
      const payload = Buffer.from(body, 'utf8');
      // Real time on purpose: a socket deadline (see PostOptions.timeoutMs), not engine logic.
      const timer = setTimeout(() => {
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: POST_TIMEOUT_CODE }));
      }, timeoutMs);
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        agent: secure ? https : http,
        headers: { ...headers, 'content-length': String(payload.length) },
        signal,
      }, (res: IncomingMessage) => {
        clearTimeout(timer);
        // The body is not read: nothing in it changes the outcome, and a receiver may echo the
        // order (personal data) back. Draining it frees the socket for the next request.
        res.resume();
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  return {
    post,
    close() {
      http.destroy();
      https.destroy();
    },
  };
}
