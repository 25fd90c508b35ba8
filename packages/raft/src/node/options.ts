// What a RaftNode is given (options) and what it tells (status, events), apart from the driver itself.
import { type ChannelCredentials, type Server, type ServerCredentials } from '@grpc/grpc-js';
import { type RaftStatus } from '../core/raw-node';
import { type Logger } from '../log';
import { type RecordCipher } from '../storage/cipher';
import { type GrpcTransportOptions } from '../transport/grpc-transport';
import { type NodeId, type Role } from '../types';
import { type StateMachine } from './state-machine';

export interface RaftNodeOptions<R = unknown> {
  id: NodeId;
  /** Holds wal/ and snap/. */
  dataDir: string;
  /** host:port for Raft traffic; port 0 picks a free port. */
  listen: string;
  /** Address other members dial; default: the listen host with the bound port. Required with `server`. */
  advertise?: string;
  /** Serve Raft on this (not yet bound) gRPC server, shared with other services; see GrpcTransportOptions.server. */
  server?: Server;
  /** Refuses incoming Raft calls from callers that are not members (see GrpcTransportOptions.authorize). */
  authorize?: GrpcTransportOptions['authorize'];
  /** Addresses of members known at start (founding members; for a joining node, the current ones). */
  peers: Record<NodeId, string>;
  /** With an empty dataDir: found a new cluster whose voters are `peers` plus this node. */
  bootstrap?: boolean;
  stateMachine: StateMachine<R>;
  /** Defaults: 25 ms ticks, election after 16-32 ticks (400-800 ms), heartbeat every 2 ticks. */
  tickMs?: number;
  electionTicks?: number;
  heartbeatTicks?: number;
  /** Snapshot and compact the log every N applied entries (default 10000), keeping `keepEntries` (default 1000). */
  snapshotEvery?: number;
  /** ...or once this many bytes of entries were applied since the last one (default 64 MiB): bounds the in-memory log. */
  snapshotBytes?: number;
  keepEntries?: number;
  proposalTimeoutMs?: number;
  /** A follower forwards proposals to the leader (default); when false it rejects with NotLeaderError. */
  forwardProposals?: boolean;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  serverCredentials?: ServerCredentials;
  channelCredentials?: ChannelCredentials;
  segmentBytes?: number;
  /** Encryption at rest of the WAL and snapshot files (see DurableStorageOptions.cipher). */
  cipher?: RecordCipher;
  random?: () => number;
  log?: Logger;
}

/** The options with the driver's defaults filled in. */
export type ResolvedOptions<R> = Required<
  Pick<RaftNodeOptions<R>, 'tickMs' | 'snapshotEvery' | 'keepEntries' | 'proposalTimeoutMs' | 'forwardProposals'>
> &
  RaftNodeOptions<R>;

export function withDefaults<R>(opts: RaftNodeOptions<R>): ResolvedOptions<R> {
  // An option passed as undefined means "default", not "undefined".
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as RaftNodeOptions<R>;
  return {
    tickMs: 25,
    snapshotEvery: 10_000,
    keepEntries: 1000,
    proposalTimeoutMs: 10_000,
    forwardProposals: true,
    ...given,
  };
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface MemberStatus {
  id: NodeId;
  address: string | null;
  voter: boolean;
}

export interface RaftNodeStatus {
  id: NodeId;
  role: Role;
  leader: NodeId | null;
  leaderAddress: string | null;
  term: number;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  members: MemberStatus[];
  /** Only on the leader: replication progress per member. */
  progress?: RaftStatus['progress'];
}

export interface RaftNodeEvents {
  /** The known leader changed (null: none). */
  leader: [leader: NodeId | null, term: number];
  /** This node was removed from the cluster by a committed membership change. */
  removed: [];
}
