export { SwarmManager, NotSwarmManagerError, type SwarmManagerOptions, type InitOptions } from './manager';
export { SwarmStateFiles, type NodeState } from './node-state';
export { serverCredentials, channelCredentials, channelOptions, NODE_TLS_NAME, type NodeTls } from './credentials';
export { CaService } from './ca-service';
export { requestNodeCertificate, type JoinResult } from './join';
