// The container runtime's public surface (re-exported from the package index).
export { RuncBuildRunner } from './build-runner';
export { findRunc } from './runc';
export { buildOciSpec, DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS } from './oci-spec';
export type { OciSpec, SpecInput } from './oci-spec';
export { leakedCgroups, cleanupDaemonCgroups, controllerDir } from './cgroups';
