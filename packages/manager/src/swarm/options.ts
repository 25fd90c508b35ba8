// What a manager node is started with: `swarm init`, `swarm join` as a manager, or a restart.
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '@flotilla/engine-core';
import type { Node } from '../store/types';
import type { NodeTls } from './credentials';
import type { NodeState } from './node-state';

export interface SwarmManagerOptions {
  /** <data-root>/swarm */
  dir: string;
  log?: Logger;
  heartbeatPeriodMs?: number;
  /**
   * The node's cluster listener (one gRPC server per node, started with the node's TLS on
   * `listenAddr`); the manager adds Raft, the dispatcher, the CA and RaftMembership to it and
   * removes them when it stops. Without it the manager binds a server of its own.
   */
  nodeServer?: (tls: NodeTls, listenAddr: string) => Promise<grpc.Server>;
}

export interface InitOptions extends SwarmManagerOptions {
  /** Where swarm networks get their subnets (checked by the caller: checkAddrPool). */
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  /** `swarm init --autolock`. */
  autoLockManagers?: boolean;
  listenAddr: string;
  advertiseAddr: string;
  description: Node['Description'];
}

export interface JoinManagerOptions extends SwarmManagerOptions {
  /** This node's identity (role manager) and the certificate the CA issued for it. */
  state: NodeState;
  tls: NodeTls;
  /** Managers to ask for membership (any of them: followers redirect to the leader). */
  remotes: string[];
  timeoutMs?: number;
}
