// The container runtime's public surface (re-exported from the package index).
export { RuncBuildRunner } from './build-runner';
export { ContainerManager } from './container-manager';
export type { ContainerManagerOptions, ContainerEvent } from './container-manager';
// ContainerInspect/ContainerSummary/LogsOptions are also names in api/backend (looser shapes);
// the runtime's precise ones are exported under distinct names.
export type {
  ContainerCreateRequest,
  HostConfig,
  RestartPolicy,
  PortBinding,
  MountRequest,
  ContainerConfig,
  ContainerStatus,
  ContainerState,
  HealthConfig,
  HealthState,
  HealthcheckResult,
  MountPoint,
  ContainerRecord,
  EndpointSettings,
  NetworkSettings,
  WaitResult,
  WaitCondition,
  LogEntry,
  OutputChunk,
  ContainerInspect as ContainerInspectJson,
  ContainerSummary as ContainerSummaryJson,
  LogsOptions as ContainerLogsOptions,
} from './container-types';
export type { ExecCreateRequest, ExecInspect } from './exec';
export type { ContainerStats } from './stats';
export type { TopResult } from './top';
export { formatLogEntry, muxFrame } from './log-file';
export { parseMemory, parseMemorySwap, parseCpus } from './units';
export { parseRestartPolicy } from './restart-policy';
export { parseSignal } from './signals';
export { humanDuration, statusText } from './container-views';
export { findRunc } from './runc';
export { buildOciSpec, DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS } from './oci-spec';
export type { OciSpec, SpecInput } from './oci-spec';
export { leakedCgroups, cleanupDaemonCgroups, controllerDir } from './cgroups';
