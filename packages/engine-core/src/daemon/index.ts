// The daemon's public surface: start it, run it until a signal, purge its state; its host address and version.
export {
  startDaemon,
  DEFAULT_DATA_ROOT,
  DEFAULT_HOST,
  type DaemonHandle,
  type DaemonOptions,
  type DaemonContext,
  type DaemonExtension,
} from './daemon';
export { parseHost, type HostAddress } from './listen';
export { ENGINE_VERSION, API_VERSION } from './system-backend';
export { runDaemonUntilSignal } from './signals';
export { purgeDaemonState } from './purge';
