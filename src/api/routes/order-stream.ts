import type { FastifyInstance } from 'fastify';
import type { Tier } from '../../contracts/registry.js';
import { OrderEventFeed, type FeedStart, type OrderEventTarget } from '../order-event-feed.js';
import { SseConnection, type SseConnectionOptions } from '../sse-stream.js';
import type { EngineApi } from '../../contracts/engine-api.js';
import { orderEventPredicate } from '../order-event-filter.js';
import { splitList } from '../query-params.js';
import { errorResponses } from '../schemas/common.js';
import {
  orderStreamHeadersSchema, orderStreamQuerySchema, type OrderStreamHeaders, type OrderStreamQuerystring,
} from '../schemas/order-stream.js';

export interface OrderStreamOptions {
  connection?: Partial<SseConnectionOptions>;
  /** Log events read per query while replaying history. */
  pageSize?: number;
}

const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  // nginx buffers proxied responses by default, which would hold events back.
  'X-Accel-Buffering': 'no',
} as const;

/**
 * The resume point: the Last-Event-ID header (an EventSource sends it when it reconnects, while
 * its URL still carries the first connection's query), else `?lastEventId=`, else none: live only.
 * `?lastEventId=0` asks for the whole retained log.
 */
export function feedStart(headers: OrderStreamHeaders, query: OrderStreamQuerystring): FeedStart {
  const header = headers['last-event-id'];
  const id = header !== undefined && header !== '' ? header : query.lastEventId;
  return id === undefined ? 'live' : { afterId: Number(id) };
}

/**
 * `GET /api/orders/stream`: order events as server-sent events, `id:` the log id, `event:` the
 * CloudEvent type, `data:` the CloudEvent (structured JSON, the same bytes MQTT and webhooks
 * carry). Resumable without loss or duplicates (see OrderEventFeed); optional `tier` and `place`
 * filters apply to history and live events alike.
 */
export function registerOrderStreamRoutes(app: FastifyInstance, engine: EngineApi, options: OrderStreamOptions = {}): void {
  const open = new Set<SseConnection>();
  // A stream never ends on its own, and fastify's close() waits for open requests: end them first.
  app.addHook('preClose', async () => {
    for (const connection of open) connection.close();
  });

  app.get<{ Querystring: OrderStreamQuerystring; Headers: OrderStreamHeaders }>('/api/orders/stream', {
    schema: { querystring: orderStreamQuerySchema, headers: orderStreamHeadersSchema, response: errorResponses },
  }, (request, reply) => {
    const start = feedStart(request.headers, request.query);
    const accept = orderEventPredicate({ tier: splitList<Tier>(request.query.tier), place: request.query.place });

    reply.hijack();
    reply.raw.writeHead(200, STREAM_HEADERS);
    const connection = new SseConnection(reply.raw, options.connection);
    const target: OrderEventTarget = {
      deliver: (event) => {
        // Live events arrive inside the engine's post-commit notification: one bad stream must not
        // throw into it and cut the announcement of the others short.
        try {
          connection.send({ id: event.id, event: event.type, data: event.payload });
        } catch (err) {
          request.log.error({ err, eventId: event.id }, 'order stream: event could not be sent');
          connection.close();
        }
      },
      get closed() {
        return connection.closed;
      },
      whenWritable: () => connection.whenWritable(),
    };
    const feed = new OrderEventFeed(engine, target, {
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      ...(accept === undefined ? {} : { accept }),
    });
    open.add(connection);
    connection.onClose((reason) => {
      open.delete(connection);
      feed.stop();
      if (reason === 'overflow') {
        request.log.warn(
          { position: feed.position, peakQueuedBytes: connection.peakQueuedBytes, maxBufferedBytes: connection.maxBufferedBytes },
          'order stream: client too slow, disconnected (it resumes from its Last-Event-ID)',
        );
      }
    });
    connection.open();
    feed.start(start).catch((err: unknown) => {
      request.log.error({ err }, 'order stream: reading the order event log failed');
      connection.close();
    });
  });
}
