// Small pieces of a node's swarm membership: docker's texts and addresses, the /info cluster part.
import net from 'node:net';
import {
  CLUSTER_OBJECT_ID,
  DEFAULT_SWARM_ADDR_POOL,
  DEFAULT_SWARM_SUBNET_SIZE,
  type NodeState,
  type SwarmManager,
} from '@flotilla/manager';
import { ClusterListenError, SwarmStateError } from './errors';

/** The Cluster part of the Swarm section of /info (docker info prints its settings). */
export function clusterInfo(m: SwarmManager, id: string): Record<string, unknown> {
  const c = m.store.state.get('clusters', CLUSTER_OBJECT_ID);
  return {
    ID: id,
    Spec: c?.Spec,
    DefaultAddrPool: c?.DefaultAddrPool ?? DEFAULT_SWARM_ADDR_POOL,
    SubnetSize: c?.SubnetSize ?? DEFAULT_SWARM_SUBNET_SIZE,
  };
}

/** The Swarm section of GET /info: this node's part, and the cluster's when it is a manager. */
export function swarmInfo(
  state: NodeState | null,
  m: SwarmManager | null,
  knownManagers: string[] | undefined,
  locked = false,
): Record<string, unknown> {
  if (state && locked) return lockedInfo(state);
  if (!state)
    return {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    };
  const nodes = m?.store.state.list('nodes') ?? [];
  const remote = m
    ? m.managers().map((x) => ({ NodeID: x.nodeId, Addr: x.addr }))
    : (knownManagers ?? state.managers).map((addr) => ({ NodeID: '', Addr: addr }));
  return {
    NodeID: state.nodeId,
    NodeAddr: state.advertiseAddr.split(':')[0],
    LocalNodeState: 'active',
    ControlAvailable: !!m,
    Error: '',
    RemoteManagers: remote,
    ...(m ? { Nodes: nodes.length, Managers: m.managers().length, Cluster: clusterInfo(m, state.clusterId) } : {}),
  };
}

/** The Swarm section of GET /info on a manager restarted with autolock on, before `swarm unlock`. */
export function lockedInfo(state: NodeState): Record<string, unknown> {
  return {
    NodeID: state.nodeId,
    NodeAddr: state.advertiseAddr.split(':')[0],
    LocalNodeState: 'locked',
    ControlAvailable: false,
    Error: '',
    RemoteManagers: null,
  };
}

/** The address this node's own agent dials for its own manager. */
export function localAddr(advertiseAddr: string): string {
  return advertiseAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:');
}

/** Docker's refusal of `swarm leave` without --force on a manager, with its quorum arithmetic. */
export function leaveRefusal(m: SwarmManager): string {
  const voters = m.raftStatus().members.filter((x) => x.voter);
  const nodes = new Map(m.store.state.list('nodes').map((n) => [n.ID, n]));
  const reachable = voters.filter(
    (v) =>
      m.managerStatus(nodes.get(v.id) ?? ({ ID: v.id, Spec: { Role: 'manager' } } as never))?.Reachability ===
      'reachable',
  ).length;
  const unreachable = voters.length - reachable;
  let msg = 'You are attempting to leave the swarm on a node that is participating as a manager. ';
  if (reachable + unreachable <= 1)
    return `${msg}Removing the last manager erases all current state of the swarm. Use \`--force\` to ignore this message.`;
  msg += `Removing this node leaves ${reachable - 1} managers out of ${reachable + unreachable}. `;
  if (reachable - 1 < Math.floor((reachable + unreachable - 1) / 2) + 1)
    msg += 'Without a Raft quorum your swarm will be inaccessible. ';
  return `${msg}The only way to restore a swarm that has lost consensus is to reinitialize it with \`--force-new-cluster\`. Use \`--force\` to suppress this message.`;
}

/** Fails with a clear error when `addr` (host:port) cannot be bound. */
export async function assertCanListen(addr: string): Promise<void> {
  const host = addr.slice(0, addr.lastIndexOf(':'));
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  await new Promise<void>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e) => reject(new SwarmStateError(new ClusterListenError(addr, e).message, 400)));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve()));
  });
}
