export { SwarmNode, SwarmStateError, DEFAULT_CLUSTER_PORT, type SwarmNodeDeps } from './swarm-node';
export { MeshController } from './mesh-controller';
export { TaskNetworks } from './task-networks';
export { resolveAddr, defaultAdvertiseHost } from './addresses';
export { swarmExtension } from './daemon-extension';
export { NodeServer, ClusterListenError, type NodeServiceRegistration } from './node-server';
