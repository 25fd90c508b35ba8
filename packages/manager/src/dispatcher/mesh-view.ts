// The mesh view: what every node needs of the cluster for its routing mesh and service discovery.
import type { StoreState } from '../store/state';
import { TaskState, type Service } from '../store/types';
import type { PortConfig } from '../types';

/** A service on one swarm network: its names there and its VIP (vip mode). */
export interface MeshServiceNetwork {
  /** The manager's network ID (Endpoint.VirtualIPs[].NetworkID). */
  id: string;
  /** Nodes back a swarm network with a local bridge of this name. */
  name: string;
  /** The service's network aliases on it (compose: the service's short name, plus `aliases:`). */
  aliases: string[];
  /** The VIP, without prefix length; absent in dnsrr mode or while none is allocated. */
  vip?: string;
}

/** An ingress port of a service as every node's mesh needs it: docker's PortConfig, published. */
export interface MeshServicePort {
  published: number;
  target: number;
  protocol: PortConfig['Protocol'];
}

/**
 * What every node needs for its routing mesh and service discovery: each service's ingress ports,
 * its names and VIPs per network, and the running tasks behind it.
 */
export interface MeshService {
  serviceId: string;
  /** The full name (`getstartedlab_redis`). */
  name: string;
  endpointMode: 'vip' | 'dnsrr';
  ports: MeshServicePort[];
  networks: MeshServiceNetwork[];
  /**
   * TCP ports a node's mesh serves on each of the service's VIPs: the target ports of its
   * EndpointSpec ports, whatever their publish mode, and the ports its running tasks expose
   * (their image's EXPOSE). Unlike Docker's VIP, not every port.
   */
  vipPorts: number[];
  /**
   * `tunnel` is the mesh tunnel listener ("host:port") of the task's node, for the other nodes'
   * meshes; absent while that node has not told its tunnel port (those nodes cannot reach the task).
   */
  backends: { taskId: string; nodeId: string; address: string; tunnel?: string }[];
}

/** host:port, with brackets for an IPv6 host. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function networksOf(state: StoreState, s: Service): MeshServiceNetwork[] {
  const out = new Map<string, MeshServiceNetwork>();
  for (const n of s.Spec?.TaskTemplate.Networks ?? []) {
    const prev = out.get(n.Target);
    if (prev) {
      prev.aliases = [...new Set([...prev.aliases, ...(n.Aliases ?? [])])];
      continue;
    }
    const net = state.findByName('networks', n.Target);
    if (!net) continue;
    const vip = s.Endpoint?.VirtualIPs?.find((v) => v.NetworkID === net.ID)?.Addr.split('/')[0];
    out.set(n.Target, { id: net.ID, name: n.Target, aliases: [...new Set(n.Aliases ?? [])], ...(vip ? { vip } : {}) });
  }
  return [...out.values()];
}

/**
 * Pure: the mesh view of the whole cluster (sent to every node; ingress ports are cluster-wide).
 * Every service with an ingress port or a swarm network is in it. `tunnelPorts` maps node IDs to
 * the mesh tunnel port each node reported; the host is the node's address (Status.Addr).
 */
export function meshView(state: StoreState, tunnelPorts: ReadonlyMap<string, number> = new Map()): MeshService[] {
  const out = new Map<string, MeshService>();
  for (const s of state.list('services')) {
    const all = s.Endpoint?.Ports ?? [];
    const ports = all
      .filter((p) => p.PublishMode === 'ingress' && p.PublishedPort)
      .map((p) => ({ published: p.PublishedPort!, target: p.TargetPort, protocol: p.Protocol }));
    const networks = networksOf(state, s);
    if (!ports.length && !networks.length) continue;
    const endpointMode = s.Spec?.EndpointSpec?.Mode === 'dnsrr' ? 'dnsrr' : 'vip';
    const vipPorts = networks.some((n) => n.vip)
      ? all.filter((p) => p.Protocol === 'tcp').map((p) => p.TargetPort)
      : [];
    out.set(s.ID, {
      serviceId: s.ID,
      name: s.Spec?.Name ?? s.ID,
      endpointMode,
      ports,
      networks,
      vipPorts,
      backends: [],
    });
  }
  for (const t of state.list('tasks')) {
    const m = out.get(t.ServiceID);
    if (!m || t.Status.State !== TaskState.RUNNING || t.DesiredState !== TaskState.RUNNING || !t.NodeID) continue;
    const address = t.Status.Addresses?.[0];
    if (!address) continue;
    const port = tunnelPorts.get(t.NodeID);
    const host = port ? state.get('nodes', t.NodeID)?.Status.Addr : undefined;
    m.backends.push(
      host && host !== '0.0.0.0'
        ? { taskId: t.ID, nodeId: t.NodeID, address, tunnel: joinHostPort(host, port!) }
        : { taskId: t.ID, nodeId: t.NodeID, address },
    );
    if (m.networks.some((n) => n.vip)) m.vipPorts.push(...(t.Status.ExposedPorts ?? []));
  }
  for (const m of out.values()) {
    m.backends.sort((a, b) => (a.taskId < b.taskId ? -1 : 1));
    m.vipPorts = [...new Set(m.vipPorts)].sort((a, b) => a - b);
  }
  return [...out.values()].sort((a, b) => (a.serviceId < b.serviceId ? -1 : 1));
}
