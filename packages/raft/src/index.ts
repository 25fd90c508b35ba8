// @flotilla/raft: a pure Raft core (etcd-io/raft style), WAL + snapshot storage, a gRPC transport and the driver.
export * from './types';
export { RawNode, type RaftStatus, type PeerProgress } from './core/raw-node';
export { MemoryStorage, initialSnapshot } from './core/memory-storage';
export { ProgressState } from './core/progress';
export { encodeConfChange, decodeConfChange, entrySize } from './core/entries';
export {
  RaftError,
  ProposalDroppedError,
  ConfChangeRejectedError,
  CompactedError,
  UnavailableError,
  SnapshotOutOfDateError,
  RaftUsageError,
} from './core/errors';
// I/O shell around the core (issue 3): durable storage, gRPC transport, the driver.
export { DurableStorage, type DurableStorageOptions } from './storage/durable-storage';
export { Wal, type WalOptions, type WalReplay, DEFAULT_SEGMENT_BYTES } from './storage/wal';
export { SnapshotStore } from './storage/snapshot-store';
export { WalCorruptError, SnapshotCorruptError, StorageClosedError, WalDecryptError } from './storage/errors';
export { type RecordCipher, checkRecordCipher } from './storage/cipher';
export { AesGcmCipher } from './storage/aes-gcm-cipher';
export { GrpcTransport, type GrpcTransportOptions, type TransportHandler } from './transport/grpc-transport';
export { InvalidRaftMessageError, TransportClosedError } from './transport/errors';
export { RAFT_PROTO, raftService, type RaftServiceClient } from './transport/proto';
export { RaftNode } from './node/raft-node';
export {
  type RaftNodeOptions,
  type RaftNodeStatus,
  type MemberStatus,
  type RequestOptions,
  type RaftNodeEvents,
} from './node/options';
export { type StateMachine } from './node/state-machine';
export { wrapSnapshot } from './node/envelope';
export { KvStateMachine, encodeKv, type KvCommand, type KvResult } from './node/kv-state-machine';
export {
  RaftNodeError,
  NotLeaderError,
  ProposalTimeoutError,
  LeadershipLostError,
  NodeStoppedError,
  RaftAbortedError,
} from './node/errors';
