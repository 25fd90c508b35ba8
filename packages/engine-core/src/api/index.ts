// The local API's public surface: the server, its router and HTTP helpers, the backend contract.
export { createApiServer, buildRouters, type ApiServerOptions } from './server';
export { Router, type RouteContext, type Handler } from './router';
export { readJson, sendJson, sendNoContent, sendError, qBool, qInt, qFilters } from './http';
export { frame as stdcopyFrame, StdcopyDecoder } from './stdcopy';
export type {
  EngineBackend,
  ContainerBackend,
  ImageBackend,
  VolumeBackend,
  SystemBackend,
  ProgressSink,
  RegistryAuth,
  BuildRequest,
  ProcessStreams,
  LogChunk,
  ContainerCreateBody,
  ExecCreateBody,
  LogsOptions as ApiLogsOptions,
} from './backend';
