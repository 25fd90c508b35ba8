export { RoutingMesh, type RoutingMeshOptions } from './routing-mesh';
export { PortInUseError, UnsupportedProtocolError, MeshListenError } from './errors';
export { BackendPool, type BackendSlot } from './pool';
export type {
  Backend,
  BackendStats,
  MeshPort,
  MeshStats,
  ServicePortStats,
  Strategy,
  TunnelCredentials,
} from './types';
export type { DataPath } from './accept-loop';
export { rawAvailable as meshFastPathAvailable } from './raw-splice';
export { TunnelServer, type TunnelResolver, type TunnelServerOptions } from './tunnel-server';
export { TunnelDialer } from './tunnel-client';
export {
  TunnelStatus,
  encodeRequest,
  decodeRequest,
  encodeReply,
  decodeReply,
  TunnelHeaderError,
  type TunnelRequest,
} from './tunnel-header';
