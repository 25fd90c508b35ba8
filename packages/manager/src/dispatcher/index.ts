export { Dispatcher, type DispatcherOptions } from './dispatcher';
export { swarmServices, SWARM_PROTO } from './proto';
export { Liveness } from './liveness';
export { callerIdentity, PermissionDeniedError } from './identity';
export { belongsToNode } from './assignments';
export { meshView, type MeshService, type MeshServiceNetwork } from './mesh-view';
