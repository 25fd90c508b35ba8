import type { Meta, Node, Service, Task } from './types';

export interface NetworkObject extends Meta {
  Spec: {
    Name: string;
    Driver: string;
    Labels?: Record<string, string>;
    Options?: Record<string, string>;
    Attachable?: boolean;
    Internal?: boolean;
    IPAM?: { Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] };
  };
}

/** The one cluster object's ID (swarm-wide settings, CA, join secrets). */
export const CLUSTER_OBJECT_ID = 'cluster';

export interface ClusterObject extends Meta {
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    Orchestration: { TaskHistoryRetentionLimit: number };
    Dispatcher: { HeartbeatPeriod: number };
    /** Node certificate lifetime in nanoseconds (docker's unit); default 90 days. */
    CAConfig?: { NodeCertExpiry?: number };
  };
  /** `swarm init --default-addr-pool` / `--default-addr-pool-mask-length`: where swarm networks get their subnets. */
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  /** Anything else the manager keeps cluster-wide (CA digest, join token secrets). */
  Data?: Record<string, unknown>;
}

export interface Tables {
  nodes: Node;
  services: Service;
  tasks: Task;
  networks: NetworkObject;
  clusters: ClusterObject;
}

export type TableName = keyof Tables;
export const TABLES: TableName[] = ['clusters', 'nodes', 'networks', 'services', 'tasks'];

/** Objects whose `Spec.Name` must be unique in their table. */
export const UNIQUE_NAMES: Partial<Record<TableName, true>> = { services: true, networks: true };
