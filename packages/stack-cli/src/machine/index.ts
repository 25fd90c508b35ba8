// `flotilla machine`: local machines, each a network namespace with its own flotilla daemon.
export * from './spec';
export { DEFAULT_STORAGE, MachineNotFoundError, listMachines, loadMachine, storageOf } from './store';
export { MachineDaemonError, logFileOf } from './daemon';
export { MachineCommandError } from './sh';
export {
  MachineExistsError,
  type MachineStatus,
  createMachine,
  removeMachine,
  runInMachine,
  sshArgs,
  startMachine,
  statusOf,
  stopMachine,
} from './machines';
