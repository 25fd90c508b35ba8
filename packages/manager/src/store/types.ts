// The replicated state machine's objects, in Docker Engine API shapes (what `service inspect`,
// `node inspect` and `service ps` show). Version.Index is the Raft index of the last change and is
// what optimistic concurrency checks (`service update` with a stale version is refused).
import type { EndpointSpec, PortConfig, ServiceSpec, TaskSpec } from '../types';

export interface Meta {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
}

/** Task states move forward only, numerically ordered as in swarmkit. */
export enum TaskState {
  NEW = 0,
  PENDING = 64,
  ASSIGNED = 192,
  ACCEPTED = 256,
  PREPARING = 320,
  READY = 384,
  STARTING = 448,
  RUNNING = 512,
  COMPLETE = 576,
  SHUTDOWN = 640,
  FAILED = 704,
  REJECTED = 768,
  REMOVE = 800,
  ORPHANED = 832,
}

export const taskStateName = (s: TaskState): string => (TaskState[s] ?? String(s)).toLowerCase();

/** A task in COMPLETE or later has stopped for good; a replacement is a new task. */
export const isTerminal = (s: TaskState): boolean => s >= TaskState.COMPLETE;

export interface TaskStatus {
  Timestamp: string;
  State: TaskState;
  Message: string;
  Err?: string;
  ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  /** Host-mode ports the task's node bound (ingress ports are the service's, not the task's). */
  PortStatus?: { Ports?: (PortConfig & { PublishedPort: number; PublishMode: 'host' })[] };
  /** flotilla: the addresses the task's container answers on (what the routing mesh dials). */
  Addresses?: string[];
  /**
   * flotilla: the TCP ports the task's container exposes (its image's EXPOSE): the service's VIPs
   * serve them too, so a service without `ports:` (a database) is reachable by name.
   */
  ExposedPorts?: number[];
}

export interface Task extends Meta {
  ServiceID: string;
  /** Replicated services: 1..N. Global services: none (one task per node). */
  Slot?: number;
  NodeID?: string;
  Spec: TaskSpec;
  /** The service's Version.Index the task was made from: an update replaces tasks of older specs. */
  SpecVersion: { Index: number };
  Status: TaskStatus;
  DesiredState: TaskState;
  Labels?: Record<string, string>;
  /** The service's endpoint when the task was made: host-mode ports bind on the task's node. */
  Endpoint?: { Spec: EndpointSpec };
  /**
   * swarmkit's copy of the service's name and labels (container names, DNS aliases and secret
   * templates' {{.Service.Labels}} need them on the worker).
   */
  ServiceAnnotations?: { Name: string; Labels?: Record<string, string> };
  /** The swarm networks of the task with the subnet the manager allocated to each (Docker's shape). */
  NetworksAttachments?: NetworkAttachment[];
}

export interface NetworkAttachment {
  /**
   * IPRange: the part of the subnet the node hands task addresses out of (the lower half; the
   * managers keep the upper half for service VIPs).
   */
  Network: {
    ID: string;
    Spec: { Name: string; Driver: string };
    IPAMOptions?: { Configs: { Subnet: string; Gateway: string; IPRange?: string }[] };
  };
}

/** A service's address on one network (docker's Endpoint.VirtualIPs entry; Addr is "a.b.c.d/len"). */
export interface VirtualIP {
  NetworkID: string;
  Addr: string;
}

export interface Service extends Meta {
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: {
    Spec: ServiceSpec['EndpointSpec'];
    Ports?: NonNullable<NonNullable<ServiceSpec['EndpointSpec']>['Ports']>;
    VirtualIPs?: VirtualIP[];
  };
  UpdateStatus?: {
    State: 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';
    StartedAt?: string;
    CompletedAt?: string;
    Message?: string;
  };
}

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeStateName = 'unknown' | 'down' | 'ready' | 'disconnected';

export interface Node extends Meta {
  Spec: { Name?: string; Labels: Record<string, string>; Role: NodeRole; Availability: NodeAvailability };
  Description: {
    Hostname: string;
    Platform: { Architecture: string; OS: string };
    Resources: { NanoCPUs: number; MemoryBytes: number };
    Engine: { EngineVersion: string; Labels?: Record<string, string> };
    /** docker's TLSInfo: the roots the node trusts and the issuer of its certificate (it reports them to the CA). */
    TLSInfo?: { TrustRoot: string; CertIssuerSubject: string; CertIssuerPublicKey: string };
  };
  Status: { State: NodeStateName; Message?: string; Addr: string };
  ManagerStatus?: { Leader?: boolean; Reachability: 'unknown' | 'unreachable' | 'reachable'; Addr: string };
}
