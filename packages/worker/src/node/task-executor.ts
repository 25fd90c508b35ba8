// The engine executor a node's agent runs tasks with, and the peers it asks for an image this
// node lacks.
import {
  channelCredentials,
  type MeshService,
  type NodeState,
  type NodeTls,
  type SwarmManager,
} from '@flotilla/manager';
import { dirname, join } from 'node:path';
import { EngineExecutor } from '../executor/engine-executor';
import { peerAddresses, peerImageFetcher } from '../peer';
import type { SwarmNodeDeps } from './deps';
import { taskNodeHosts } from './mesh-controller';
import { DEFAULT_CLUSTER_PORT } from './requests';
import type { TaskNetworks } from './task-networks';

/**
 * Nodes to ask for an image this node lacks: managers first, then every ready node (a manager
 * reads them from its store; a worker takes the nodes that run tasks from the mesh view, so an
 * image built on one worker reaches the others too).
 */
export function imagePeers(
  st: NodeState | null,
  m: SwarmManager | null,
  meshView: () => readonly MeshService[],
  knownManagers: string[] | undefined,
): string[] {
  if (!st) return [];
  const nodes = m
    ? m.store.state
        .list('nodes')
        .filter((n) => n.ID !== st.nodeId)
        .map((n) => ({ addr: n.Status.Addr, ready: n.Status.State === 'ready' }))
    : taskNodeHosts(meshView(), st.nodeId).map((addr) => ({ addr, ready: true }));
  const managers = knownManagers ?? st.managers;
  return peerAddresses({
    self: st.advertiseAddr,
    managers: managers.filter((a) => a !== st.advertiseAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:')),
    nodes,
    port: DEFAULT_CLUSTER_PORT,
  });
}

export function taskExecutor(
  d: SwarmNodeDeps,
  o: { peers: () => string[]; tls: () => NodeTls | null; taskNetworks: TaskNetworks },
): EngineExecutor {
  return new EngineExecutor({
    containers: d.containers,
    images: d.images,
    registry: d.registry,
    fetchFromPeers: peerImageFetcher({
      images: d.images,
      peers: o.peers,
      credentials: () => {
        const tls = o.tls();
        return tls ? channelCredentials(tls) : null;
      },
      log: d.log.child({ component: 'peer' }),
    }),
    serviceName: (t) => t.ServiceAnnotations?.Name ?? t.ServiceID,
    network: (t) => o.taskNetworks.forTask(t),
    engineVersion: d.engineVersion,
    hostname: d.hostname,
    // <run dir>/<instance>/secrets: tmpfs per task, beside the daemon's runc state.
    secretsDir: join(dirname(d.paths.runcRoot), 'secrets'),
    log: d.log,
  });
}
