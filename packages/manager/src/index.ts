export type * from './types';
export { ManagerError } from './errors';
export * from './store';
export * from './scheduler';
export * from './orchestrator';
export * from './ca';
export * from './controlapi';
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
