/**
 * One port the routing mesh listens on and the task port it balances to: a service's ingress port
 * (every address) or one of its VIP ports (`hostIp` is the VIP). The mesh's own view of docker's
 * PortConfig, named apart from the engine's PublishedPort (a single container's `run -p` binding).
 */
export interface MeshPort {
  /** The port every node listens on (4000 in the tutorial). */
  published: number;
  /** The port inside the tasks; it selects the backend set given to `setBackends`. */
  target: number;
  protocol: 'tcp';
  /** The host address to bind; omitted or "" means every address. */
  hostIp?: string;
}

/** One RUNNING task reachable for this service port. */
export interface Backend {
  taskId: string;
  /** The task's address on its own node's network (dialled directly only when the task is local). */
  address: string;
  port: number;
  /**
   * Set for a task on another node: that node's mesh tunnel listener ("host:port"). The
   * connection then goes through a mutual-TLS tunnel there, never to `address` directly.
   */
  tunnel?: string;
  /** The node the task runs on; a tunnel's server certificate must name it. */
  node?: string;
}

/** What a node needs for mesh tunnels: its certificate and key, the cluster root CA, the cluster ID. */
export interface TunnelCredentials {
  caCertPem: string;
  certPem: string;
  keyPem: string;
  clusterId: string;
}

export type Strategy = 'round-robin' | 'least-connections';

export interface BackendStats {
  taskId: string;
  address: string;
  port: number;
  tunnel?: string;
  node?: string;
  /** Client connections currently proxied to this backend (connects in progress included). */
  active: number;
  /** Connections ever proxied to it (successful connects). */
  total: number;
  /** Connect attempts that failed (refused, unreachable) and moved on to the next replica. */
  failed: number;
}

export interface ServicePortStats {
  serviceId: string;
  targetPort: number;
  strategy: Strategy;
  backends: BackendStats[];
  /** Client connections closed because no backend could be reached. */
  rejected: number;
}

export interface MeshStats {
  /** Accept loops that answered (the daemon's own one plus the child processes). */
  loops: number;
  services: ServicePortStats[];
}
