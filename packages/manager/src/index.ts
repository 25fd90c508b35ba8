export type * from './api/types';
export * from './store';
export * from './scheduler';
export * from './orchestrator';
export * from './ca';
export { ServiceApi, findService, INGRESS_PORT_RANGE } from './api/services';
export * from './api/errors';
export { validateServiceSpec } from './api/validate';
export { updatedClusterSpec, checkAddrPool } from './api/cluster-spec';
export * from './dispatcher';
export * from './swarm';
export {
  RaftNode,
  type RaftNodeOptions,
  type RaftNodeStatus,
  type MemberStatus,
  type RequestOptions,
  type StateMachine,
  RaftNodeError,
  NotLeaderError,
  ProposalTimeoutError,
  LeadershipLostError,
  NodeStoppedError,
  RaftAbortedError,
  DurableStorage,
  GrpcTransport,
  WalCorruptError,
  SnapshotCorruptError,
} from './raft';
