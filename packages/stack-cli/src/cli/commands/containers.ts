// Container commands (run, create, start, ps, logs, exec, stop, kill, restart, rm, port, stats,
// top, wait, ...), each in the file of its seam; main.ts loads this module on first use.
export { create, run, startFailureCode } from './container-run';
export { attach, kill, pause, rename, restart, rm, start, stop, unpause, wait } from './container-lifecycle';
export { ps, psRow } from './container-ps';
export { exec } from './container-exec';
export { logs, port, stats, top } from './container-observe';
