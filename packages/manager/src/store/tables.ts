import type { ConfigSpec, SecretSpec } from '../types';
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
    /**
     * Node certificate lifetime in nanoseconds (docker's unit); default 90 days. ForceRotate: a
     * counter; raising it rotates the root CA (`swarm ca --rotate`), with the new root's PEMs if given.
     */
    CAConfig?: { NodeCertExpiry?: number; ForceRotate?: number; SigningCACert?: string; SigningCAKey?: string };
    /** `swarm init --autolock` / `swarm update --autolock`. */
    EncryptionConfig?: { AutoLockManagers: boolean };
  };
  /** docker's TLSInfo of the current root (TrustRoot PEM, issuer subject and public key, base64 DER). */
  TLSInfo?: { TrustRoot: string; CertIssuerSubject: string; CertIssuerPublicKey: string };
  RootRotationInProgress?: boolean;
  /** `swarm init --default-addr-pool` / `--default-addr-pool-mask-length`: where swarm networks get their subnets. */
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  /** Anything else the manager keeps cluster-wide (CA digest, join token secrets). */
  Data?: Record<string, unknown>;
}

/**
 * A secret or config in the store. Spec.Data holds the current data (base64). DataVersion counts
 * in-place data changes (1 at create); PastData keeps older versions (version -> base64) for as
 * long as a service spec, previous spec or live task references them (rollback needs them).
 */
export interface SecretObject extends Meta {
  Spec: SecretSpec;
  DataVersion: number;
  PastData?: Record<string, string>;
}

export interface ConfigObject extends Meta {
  Spec: ConfigSpec;
  DataVersion: number;
  PastData?: Record<string, string>;
}

export interface Tables {
  nodes: Node;
  services: Service;
  tasks: Task;
  networks: NetworkObject;
  clusters: ClusterObject;
  secrets: SecretObject;
  configs: ConfigObject;
}

export type TableName = keyof Tables;
export const TABLES: TableName[] = ['clusters', 'nodes', 'networks', 'secrets', 'configs', 'services', 'tasks'];

/** Objects whose `Spec.Name` must be unique in their table. */
export const UNIQUE_NAMES: Partial<Record<TableName, true>> = {
  services: true,
  networks: true,
  secrets: true,
  configs: true,
};
