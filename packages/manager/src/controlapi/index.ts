// The control API: every operation behind the local HTTP API's swarm routes, as swarmkit's
// controlapi. One file per object kind (services, nodes, tasks, cluster, secrets and configs over
// data-objects.ts): validation, version checks, store transactions, list filters. The
// daemon's routes only map requests to these calls; errors carry their HTTP status (ManagerError).
export { ServiceApi, findService, serviceStatus, type ServiceStatus, type Reader } from './services';
export { NodeApi, findNode, type NodeMembership } from './nodes';
export { TaskApi } from './tasks';
export { SecretApi, secretView, type SecretView } from './secrets';
export { ConfigApi, configView, type ConfigView } from './configs';
export { DataObjectApi, findDataObject, type DataObject } from './data-objects';
export { MAX_DATA_BYTES } from './data-rules';
export { resolveDataRefs, repinSpec, servicesUsing } from './data-refs';
export { ClusterApi, updatedClusterSpec, checkAddrPool, type JoinRole, type SwarmObject } from './cluster';
export { INGRESS_PORT_RANGE } from './ports';
export { matchFilters, labelsMatch, parseDesiredState, type ListFilters } from './filters';
export { validateServiceSpec, parseServiceSpec, normalizeServiceSpec, type ServiceSpecBody } from './validate';
export * from './errors';
