export { SwarmNode, type SwarmNodeDeps } from './swarm-node';
export { DEFAULT_CLUSTER_PORT } from './requests';
export { SwarmStateError, ClusterListenError } from './errors';
export { MeshController } from './mesh-controller';
export { TaskNetworks } from './task-networks';
export { resolveAddr, defaultAdvertiseHost } from './addresses';
export { swarmExtension } from './daemon-extension';
export { NodeServer, type NodeServiceRegistration } from './node-server';
