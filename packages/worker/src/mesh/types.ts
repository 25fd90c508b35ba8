/** How a service's published port maps onto its tasks (docker's PortConfig, ingress mode). */
export interface PublishedPort {
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
  address: string;
  port: number;
}

export type Strategy = 'round-robin' | 'least-connections';

export interface BackendStats {
  taskId: string;
  address: string;
  port: number;
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
