import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a downstream dispatch system receives it. */
export interface ReceivedWebhook {
  /** Arrival order, from 0. */
  seq: number;
  webhookId: string;
  idempotencyKey: string;
  timestamp: string;
  signature: string;
  contentType: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as received (what the signature covers). */
  body: string;
  /** The receiver had already processed this idempotency key: a redelivered copy. */
  duplicate: boolean;
  /** The signature checked out when the request arrived. */
  verified: boolean;
  /** The status it was answered with; undefined while held or when the connection went first. */
  status?: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
}

/** How the receiver answers a request: now, or later (a promise it resolves when the test says so). */
export type Respond = (request: ReceivedWebhook) => Answer | Promise<Answer>;

export interface WebhookReceiverOptions {
  /** Checks a request's signature on arrival (`verifyWebhook` with the engine clock). */
  verify: (headers: IncomingHttpHeaders, body: string) => boolean;
  respond?: Respond;
  /** Listen on this port (to come back where an earlier receiver was); default: any free port. */
  port?: number;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1 behaving like a careful dispatch system: it verifies
 * signatures, deduplicates on the idempotency key (a copy is answered 2xx but not processed
 * twice) and can fail, hang or go away on the test's command. It also records how many requests
 * were open at once, overall and per order.
 */
export class WebhookReceiver {
  readonly requests: ReceivedWebhook[] = [];
  /** Idempotency keys processed (answered 2xx), in the order they were first processed. */
  readonly processed: string[] = [];
  respond: Respond;
  open = 0;
  maxOpen = 0;
  /** Set when two requests of one order (CloudEvent subject) were open at the same time. */
  sameOrderOverlap = false;
  private readonly openPerOrder = new Map<string, number>();
  private readonly waiters: Array<{ test: () => boolean; resolve: () => void }> = [];
  private server: Server | undefined;
  private port = 0;

  private constructor(private readonly options: WebhookReceiverOptions) {
    this.respond = options.respond ?? (() => ({ status: 200 }));
  }

  static async start(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(options);
    await receiver.listen(options.port ?? 0);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/orders`;
  }

  get listeningPort(): number {
    return this.port;
  }

  /** Requests answered 2xx, the copies included. */
  get accepted(): ReceivedWebhook[] {
    return this.requests.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300);
  }

  /** Resolves once `test()` holds; checked after every arrival and every answer (no polling, no sleeps). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** Stops listening and drops open connections: the endpoint is down. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => void this.handle(req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1' }, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  private async handle(headers: IncomingHttpHeaders, body: string, res: ServerResponse): Promise<void> {
    const webhookId = String(headers['webhook-id'] ?? '');
    const subject = (JSON.parse(body) as { subject: string }).subject;
    const record: ReceivedWebhook = {
      seq: this.requests.length,
      webhookId,
      idempotencyKey: String(headers['idempotency-key'] ?? ''),
      timestamp: String(headers['webhook-timestamp'] ?? ''),
      signature: String(headers['webhook-signature'] ?? ''),
      contentType: String(headers['content-type'] ?? ''),
      headers,
      body,
      duplicate: this.processed.includes(webhookId),
      verified: this.options.verify(headers, body),
    };
    this.requests.push(record);
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    const perOrder = (this.openPerOrder.get(subject) ?? 0) + 1;
    this.openPerOrder.set(subject, perOrder);
    if (perOrder > 1) this.sameOrderOverlap = true;
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      this.open--;
      this.openPerOrder.set(subject, (this.openPerOrder.get(subject) ?? 1) - 1);
      this.notify();
    };
    // The sender gave up (timeout) or went away: the request is no longer open.
    res.on('close', done);
    this.notify();
    const answer = await this.respond(record);
    if (answer.status >= 200 && answer.status < 300 && !record.duplicate) this.processed.push(webhookId);
    if (!res.destroyed) {
      record.status = answer.status;
      res.writeHead(answer.status, answer.headers).end();
    }
    done();
    this.notify(); // `processed` changed even when the sender had already gone
  }

  private notify(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.test()) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

/** A promise with its resolve function outside: a held answer the test releases. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
