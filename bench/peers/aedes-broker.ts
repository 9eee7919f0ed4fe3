import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import type { BrokerPeer } from './broker-peer.js';
import { installedVersion } from './package-version.js';

/**
 * aedes as a bare publish → subscribe hop, in this process — where the engine runs its own aedes
 * during the bench. It is the engine's broker itself (`startEmbeddedBroker`: the same aedes 1.x,
 * the same options and hooks, TCP_NODELAY on every socket) with no engine behind it, so the hop is
 * the engine's own floor and cannot drift from it when the engine's broker setup changes.
 */
export async function startAedesBroker(): Promise<BrokerPeer> {
  const broker = await startEmbeddedBroker({ port: 0, host: '127.0.0.1' });
  return {
    url: `mqtt://127.0.0.1:${broker.port}`,
    version: installedVersion('aedes'),
    stop: () => broker.close(),
  };
}
