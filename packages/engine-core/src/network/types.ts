// The contract between networking (network/) and the container runtime (runtime/) and API (api/).

export interface NetworkRecord {
  Id: string;
  Name: string;
  Driver: 'bridge' | 'host' | 'null' | 'overlay';
  Scope: 'local' | 'swarm';
  Created: string;
  Internal: boolean;
  Attachable: boolean;
  IPAM: { Driver: 'default'; Config: { Subnet: string; Gateway: string; IPRange?: string }[] };
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** Linux bridge device name (bridge driver only). */
  bridge?: string;
}

export interface EndpointInfo {
  networkId: string;
  networkName: string;
  endpointId: string;
  ipAddress: string;
  prefixLen: number;
  gateway: string;
  macAddress: string;
  aliases: string[];
}

/** A network namespace prepared for one container before `runc create` joins it by path. */
export interface Sandbox {
  containerId: string;
  /** null for --network host (the container shares the host's namespace). */
  netnsPath: string | null;
  endpoints: EndpointInfo[];
}

export interface PortBindingRequest {
  hostIp: string; // "" = all addresses
  hostPort: number; // 0 = pick a free one
  containerPort: number;
  proto: 'tcp' | 'udp';
}

export interface PublishedPort extends PortBindingRequest {
  hostPort: number;
}

/** A question to the embedded DNS: `name` lowercased, without the trailing dot, asked from a container on that network. */
export interface DnsQuestion {
  networkId: string;
  networkName: string;
  name: string;
}

/**
 * Extra names for the embedded DNS of user-defined networks (swarm mode adds its services' names
 * and `tasks.<name>`): the IPv4 addresses `name` has on that network, or undefined when the source
 * does not know it (the next source, then the upstream resolvers, are asked).
 */
export type DnsSource = (q: DnsQuestion) => string[] | undefined;

export interface NetworkService {
  /** Create default networks (bridge, host, none), recover state after a restart, clean leaks. */
  init(): Promise<void>;
  create(opts: {
    name: string;
    driver?: string;
    subnet?: string;
    gateway?: string;
    ipRange?: string;
    internal?: boolean;
    labels?: Record<string, string>;
    options?: Record<string, string>;
    attachable?: boolean;
  }): Promise<NetworkRecord>;
  list(): Promise<NetworkRecord[]>;
  inspect(idOrName: string): Promise<
    NetworkRecord & {
      Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string }>;
    }
  >;
  remove(idOrName: string): Promise<void>;
  /** networkMode: "bridge" (default), "host", "none", or a user network name or ID. */
  createSandbox(
    containerId: string,
    containerName: string,
    networkMode: string,
    opts?: { aliases?: string[]; ip?: string },
  ): Promise<Sandbox>;
  /**
   * Idempotent. `background`: return once the container is off its network (ports closed, address
   * released) and unmount its namespace afterwards (saves ~5 ms on a container's remove).
   */
  destroySandbox(containerId: string, opts?: { background?: boolean }): Promise<void>;
  /** docker network connect / disconnect: join or leave another bridge network (eth1, eth2, ...). */
  connect?(network: string, containerId: string, opts?: { aliases?: string[]; ip?: string }): Promise<EndpointInfo>;
  disconnect?(network: string, containerId: string): Promise<void>;
  /** Publish container ports on the host; throws ConflictError "port is already allocated". */
  publish(containerId: string, containerIp: string, ports: PortBindingRequest[]): Promise<PublishedPort[]>;
  unpublish(containerId: string): Promise<void>;
  /** Stop listeners and leave kernel state for recovery (daemon shutdown). */
  close(): Promise<void>;
  /**
   * The nameserver address for containers on this network: its gateway, where the embedded DNS
   * listens (a user-defined bridge network whose server runs), else undefined (host resolv.conf).
   */
  dnsNameserver?(network: string): string | undefined;
  /** A container's --dns servers for the embedded DNS to forward its unknown names to (null: the host's). */
  setDnsUpstreams?(containerId: string, servers: readonly string[] | null | undefined): void;
  /** Adds names to the embedded DNS (asked after the containers' own names and aliases); returns its remover. */
  addDnsSource(source: DnsSource): () => void;
}
