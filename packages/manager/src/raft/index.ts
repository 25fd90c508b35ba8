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
