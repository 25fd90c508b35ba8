export { createApiServer, buildRouters } from './server';
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
