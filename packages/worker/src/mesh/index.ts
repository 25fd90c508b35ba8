export { RoutingMesh, type RoutingMeshOptions } from './routing-mesh';
export { PortInUseError, UnsupportedProtocolError, MeshListenError } from './errors';
export { BackendPool, type BackendSlot } from './pool';
export type { Backend, BackendStats, MeshStats, PublishedPort, ServicePortStats, Strategy } from './types';
export type { DataPath } from './accept-loop';
export { rawAvailable as meshFastPathAvailable } from './raw-splice';
