export { type SwarmManagerOptions, type InitOptions, type JoinManagerOptions } from './options';
export { SwarmManager } from './manager';
export { SwarmStateFiles, type NodeState } from './node-state';
export {
  serverCredentials,
  channelCredentials,
  channelOptions,
  NodeCertificates,
  NODE_TLS_NAME,
  type NodeTls,
} from './credentials';
export { CaService } from './ca-service';
export { TlsStatusClient, type TlsStatusAnswer } from './tls-status-client';
export { requestNodeCertificate, renewNodeCertificate, type JoinResult } from './join';
export { NoLeaderError, MembershipError, NotSwarmManagerError, LeaderChangedError } from './errors';
export { LEADER_ADDR_KEY, leaderAddrOf, notLeaderStatus } from './redirect';
export { canRemoveMember, reachabilityOf, type Reachability } from './quorum';
export { SwarmLockedError, InvalidUnlockKeyError, NotLockedError } from './lock-errors';
export { DataKeyCipher, newDataKey } from './data-key';
export { newUnlockKey, parseUnlockKey } from './unlock-key';
