import Fastify, { type FastifyInstance } from 'fastify';
import { registerOrderStreamRoutes } from '../../src/api/routes/order-stream.js';
import type { EngineApi } from '../../src/contracts/engine-api.js';
import type { Store } from '../../src/store/store.js';
import { getFreePort } from '../helpers/free-port.js';
import { openSse, type SseClient, type SseMessage } from '../helpers/sse-client.js';
import { deliveryOf, type Delivery } from './delivery-check.js';
import type { HarnessContext, SinkHarness, SinkRig, SinkUnderTest } from './describe-sink.js';
import { CONTRACT_SINKS, type ChildSinkArgs } from './sink-builders.js';

/**
 * The order log sink behind `GET /api/orders/stream`: a real fastify server with the stream route
 * over the sink (`orderEventsAfter` / `onOrderEvent`, as the engine wires them), and a real SSE
 * client that behaves like an EventSource — when its stream ends it reconnects with Last-Event-ID
 * (the first connection asks for the whole log with `?lastEventId=0`, which the URL keeps).
 * Stalled = the client stops reading its socket; it reads again on recovery, and reconnects if the
 * server dropped it meanwhile. Each new sink (a new process) gets a new server on the same port.
 */
export function orderLogSinkHarness(): SinkHarness {
  return {
    accepts: ['orders'],
    setUp: async (context) => new OrderLogRig(context, await getFreePort()),
  };
}

class OrderLogRig implements SinkRig {
  private readonly received: Delivery[] = [];
  private app: FastifyInstance | undefined;
  private client: SseClient | undefined;
  private connecting: Promise<void> | undefined;
  /** The last SSE event id dispatched: what an EventSource sends back as Last-Event-ID. */
  private lastEventId = '';
  private stalled = false;
  private closed = false;

  constructor(private readonly context: HarnessContext, private readonly port: number) {}

  async makeSink(store: Store): Promise<SinkUnderTest> {
    const { sink } = CONTRACT_SINKS.sse.build({ store, onProblem: this.context.onProblem, ...this.childArgs(), scheduler: this.context.scheduler });
    const app = Fastify({ logger: false });
    registerOrderStreamRoutes(app, {
      orderEventsAfter: sink.eventsAfter.bind(sink),
      onOrderEvent: sink.onEvent.bind(sink),
    } as unknown as EngineApi);
    await app.listen({ port: this.port, host: '127.0.0.1' });
    this.app = app;
    await this.connect();
    return {
      sink,
      durableIds: () => CONTRACT_SINKS.sse.durableIds(store),
      settled: () => true,
      release: async () => {
        if (this.app === app) this.app = undefined;
        await app.close(); // ends the open streams first (the route's preClose hook)
      },
    };
  }

  childArgs(): ChildSinkArgs {
    return { kind: 'sse', target: '', id: 'sse' };
  }

  delivered(): readonly Delivery[] {
    return this.received;
  }

  async stall(): Promise<void> {
    this.stalled = true;
    this.client?.response.pause();
  }

  async recover(): Promise<void> {
    this.stalled = false;
    this.client?.response.resume();
    await this.connect();
  }

  async tearDown(): Promise<void> {
    this.closed = true;
    this.client?.close();
    await this.app?.close();
  }

  /** Opens the stream unless one is open, or the client is stalled, or no server is up (it reconnects when one is). */
  private async connect(): Promise<void> {
    while (this.connecting) await this.connecting;
    if (this.client || this.stalled || this.closed || !this.app) return;
    this.connecting = this.open().finally(() => (this.connecting = undefined));
    await this.connecting;
  }

  private async open(): Promise<void> {
    const headers: Record<string, string> = this.lastEventId === '' ? {} : { 'Last-Event-ID': this.lastEventId };
    const client = await openSse(`http://127.0.0.1:${this.port}/api/orders/stream?lastEventId=0`, headers);
    if (this.closed || client.status !== 200) {
      if (!this.closed) this.context.onProblem(`the order stream answered ${client.status}`);
      client.close();
      return;
    }
    this.client = client;
    // Events that came in with the response (a replayed history) were parsed before this
    // continuation ran: take them from the list, then the rest as they arrive — in one step.
    for (const event of client.events) this.arrived(event);
    client.onEvent = (event) => this.arrived(event);
    // The retry hint comes first: once it is here, the feed is subscribed to live events.
    await client.ready();
    void client.ended.then(() => {
      if (this.client !== client) return;
      this.client = undefined;
      // As an EventSource does: reconnect with Last-Event-ID (when a server is up and the client reads).
      this.connect().catch((err: unknown) => this.context.onProblem(`reconnecting the order stream: ${String(err)}`));
    });
  }

  private arrived(event: SseMessage): void {
    this.lastEventId = event.id;
    const delivery = deliveryOf(event.data);
    if (event.event !== delivery.type) this.context.onProblem(`SSE event ${event.id}: event name ${event.event}, CloudEvent type ${delivery.type}`);
    this.received.push(delivery);
    this.context.onArrival(delivery);
  }
}
