// The control API: every operation behind the local HTTP API's swarm routes, as swarmkit's
// controlapi. One file per object kind (services, nodes, tasks, cluster; secrets.ts and configs.ts
// come next the same way): validation, version checks, store transactions, list filters. The
// daemon's routes only map requests to these calls; errors carry their HTTP status (ManagerError).
export { ServiceApi, findService, serviceStatus, type ServiceStatus, type Reader } from './services';
export { NodeApi, findNode, type NodeMembership } from './nodes';
export { TaskApi } from './tasks';
export { ClusterApi, updatedClusterSpec, checkAddrPool, type JoinRole, type SwarmObject } from './cluster';
export { INGRESS_PORT_RANGE } from './ports';
export { matchFilters, labelsMatch, parseDesiredState, type ListFilters } from './filters';
export { validateServiceSpec, parseServiceSpec, normalizeServiceSpec, type ServiceSpecBody } from './validate';
export * from './errors';
