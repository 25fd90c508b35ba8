export { SwarmNode, DEFAULT_CLUSTER_PORT, type SwarmNodeDeps } from './swarm-node';
export { SwarmStateError, ClusterListenError } from './errors';
export { MeshController } from './mesh-controller';
export { TaskNetworks } from './task-networks';
export { resolveAddr, defaultAdvertiseHost } from './addresses';
export { swarmExtension } from './daemon-extension';
export { NodeServer, type NodeServiceRegistration } from './node-server';
