import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import { ERR_BROKER_LISTEN } from '../core/errors.js';
import { createBrokerHooks, type BrokerHookOptions, type BrokerHooks } from './broker-hooks.js';

export interface EmbeddedBrokerOptions {
  /** TCP port; 0 picks a free ephemeral port (tests). Default 1883. */
  port?: number;
  /** Interface to bind; default: all interfaces (Node's default). */
  host?: string;
  /** Hook overrides by name (see `defaultBrokerHookOptions`), or hooks already built. */
  hooks?: Partial<BrokerHookOptions> | BrokerHooks;
  /** Further aedes options (ids, limits); the hooks above win over any given here. */
  aedes?: Omit<AedesOptions, 'authenticate' | 'authorizePublish'>;
  /** Called with each accepted socket, after TCP_NODELAY is set and before aedes takes it. */
  onConnection?: (socket: Socket) => void;
}

export interface EmbeddedBroker {
  readonly aedes: Aedes;
  readonly server: Server;
  /** The port actually bound (differs from the option when it was 0). */
  readonly port: number;
  readonly hooks: BrokerHooks;
  /** Closes every client connection, the listener and aedes; idempotent. */
  close(): Promise<void>;
}

/**
 * Messages aedes' emitter (mqemitter) lets be in flight at once; past it, every publish — device
 * telemetry included — queues. A message holds its slot until each subscriber took it, and a TCP
 * subscriber takes it only after two `setImmediate` turns (or a drained socket). At aedes' default
 * of 100, the outbox relay's own publishes to a slow order subscriber could fill every slot and
 * starve ingest; the relay keeps at most 128 in flight (sinks/mqtt-relay.ts), so 1 000 leaves
 * telemetry the rest. The cost is memory only: a slot is a queued message either way.
 */
export const EMITTER_CONCURRENCY = 1_000;

function isBuiltHooks(hooks: EmbeddedBrokerOptions['hooks']): hooks is BrokerHooks {
  return hooks !== undefined && 'stats' in hooks;
}

/**
 * Starts aedes behind a plain TCP listener. Every accepted socket gets TCP_NODELAY before aedes
 * sees it: small MQTT packets (PUBACK, one reading) otherwise wait for Nagle's algorithm and the
 * peer's delayed ACK, which put p99 publish→deliver latency an order of magnitude higher here.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const hooks = isBuiltHooks(options.hooks) ? options.hooks : createBrokerHooks(options.hooks);
  const aedes = await Aedes.createBroker({
    concurrency: EMITTER_CONCURRENCY,
    ...options.aedes,
    authenticate: hooks.authenticate,
    authorizePublish: hooks.authorizePublish,
  });

  const sockets = new Set<Socket>();
  const onConnection = options.onConnection;
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onConnection?.(socket);
    aedes.handle(socket);
  });

  const requestedPort = options.port ?? 1883;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: requestedPort, host: options.host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw ERR_BROKER_LISTEN(options.host ?? '*', requestedPort, (err as Error).message);
  }

  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : requestedPort;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      // Sockets that never sent CONNECT are not aedes clients; without this, server.close() would
      // wait for them (up to aedes' 30 s connect timeout).
      for (const socket of sockets) socket.destroy();
      await serverClosed;
    })();
    return closing;
  };

  return { aedes, server, port, hooks, close };
}
