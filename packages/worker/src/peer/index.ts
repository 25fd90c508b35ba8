export { registerPeerServices, type PeerServiceDeps } from './server';
export { fetchImageFromPeers, peerImageFetcher, type PeerFetchOptions } from './image-fetch';
export {
  serviceLogLines,
  taskLogPrefix,
  type LogTask,
  type ServiceLogsSources,
  type ServiceLogsOptions,
  type ServiceLogLine,
} from './service-logs';
export { PeerClient } from './client';
export { PeerImageNotFoundError, PeerFetchError } from './errors';
export { peerServices, PEER_PROTO } from './proto';
export { peerAddresses, type PeerCandidates } from './addresses';
