// The contract between the pure Raft core (core/) and its I/O shell (storage/, transport/, driver).
// Modelled on etcd-io/raft: the core never touches timers, sockets or files.

export type NodeId = string;

export enum EntryType {
  Normal = 0,
  /** A single-server membership change (Raft thesis §4.1); data is a JSON ConfChange. */
  ConfChange = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque to Raft. An empty Normal entry is the no-op a new leader appends (§5.4.2, §8). */
  data: Uint8Array;
}

export enum ConfChangeType {
  AddLearner = 0,
  /** Promote a caught-up learner (or add directly) as a voter. */
  AddVoter = 1,
  Remove = 2,
}

export interface ConfChange {
  type: ConfChangeType;
  node: NodeId;
  /** Opaque context, e.g. the node's address, carried to the application. */
  context?: string;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface HardState {
  term: number;
  vote: NodeId | null;
  commit: number;
}

export interface SnapshotMeta {
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

export enum MessageType {
  Heartbeat = 'Heartbeat',
  HeartbeatResp = 'HeartbeatResp',
  PreVote = 'PreVote',
  PreVoteResp = 'PreVoteResp',
  Vote = 'Vote',
  VoteResp = 'VoteResp',
  Append = 'Append',
  AppendResp = 'AppendResp',
  Snapshot = 'Snapshot',
  /** Leadership transfer: the leader tells the target to campaign now (thesis §3.10). */
  TimeoutNow = 'TimeoutNow',
  /** A follower forwards a proposal or a ReadIndex request to the leader. */
  Propose = 'Propose',
  ReadIndex = 'ReadIndex',
  ReadIndexResp = 'ReadIndexResp',
}

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** Append: index/term of the entry before `entries`. Vote: the candidate's last index/term. */
  index?: number;
  logTerm?: number;
  entries?: Entry[];
  commit?: number;
  /** Resp messages: true when the request was refused. */
  reject?: boolean;
  /** AppendResp reject: a hint for fast backtracking (the follower's last index / conflict term). */
  rejectHint?: number;
  hintTerm?: number;
  snapshot?: Snapshot;
  /** ReadIndex / Heartbeat: the request context that ties responses to a read. */
  context?: string;
  /** Vote/PreVote sent because of leadership transfer: bypasses leader lease checks. */
  transfer?: boolean;
}

export interface ReadState {
  index: number;
  context: string;
}

export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

export interface SoftState {
  leader: NodeId | null;
  role: Role;
}

/**
 * What the shell must do, in this order (etcd's Ready contract):
 *  1. persist `hardState`, `entries` (append, truncating any conflicting suffix) and `snapshot`,
 *     fsync; only then
 *  2. send `messages` (a message may promise a vote or an append that must already be durable),
 *  3. apply `snapshot` (if any) then `committedEntries` to the state machine, in order,
 *  4. call advance(ready).
 * A leader may send `messages` in parallel with persisting (thesis §10.2.1) only when the core says
 * so by placing them in `messagesBeforePersist`; followers never do.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
  /**
   * Only with RaftConfig.parallelLeaderWrites: the leader's Append/Heartbeat/Snapshot/TimeoutNow
   * messages, which may be sent before (or while) this Ready is persisted. The leader counts its
   * own log towards a majority only once advance() reports it durable.
   */
  messagesBeforePersist?: Message[];
}

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns; randomized in [e, 2e). */
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Max entries bytes per Append message, and max unacknowledged Append messages per follower. */
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  /** Seeded RNG for election jitter: returns a float in [0, 1). */
  random: () => number;
  /**
   * Thesis §10.2.1: let the leader replicate while it writes its own log (Ready.messagesBeforePersist).
   * Saves one fsync of commit latency. Default false: every message waits for the write.
   */
  parallelLeaderWrites?: boolean;
}

/** Read-only view of durable state the core was restarted from (implemented by storage/). */
export interface LogStorage {
  initialState(): { hardState: HardState; conf: ConfState };
  firstIndex(): number;
  lastIndex(): number;
  term(index: number): number;
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  snapshot(): Snapshot | null;
}
