export { Dispatcher, type DispatcherOptions } from './dispatcher';
export { swarmServices, SWARM_PROTO } from './proto';
export { Liveness } from './liveness';
export { callerIdentity } from './identity';
export { PermissionDeniedError } from './errors';
export { belongsToNode } from './assignments';
export { meshView, type MeshService, type MeshServiceNetwork, type MeshServicePort } from './mesh-view';
export {
  assignedDependencySchema,
  type AssignedDependency,
  type DependencyKind,
  type DependencyRef,
} from './dependencies';
