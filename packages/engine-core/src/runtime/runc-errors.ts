import { ConflictError, EngineError } from '../errors';

/**
 * A failed `runc pause/resume`. The container's process may have exited since the check before it
 * (runc then no longer knows it): that is docker's 409 "is not running", not a daemon fault.
 */
export function runcStateError(id: string, op: 'pause' | 'unpause', stderr: string): Error {
  if (/does not exist|not running|is stopped/i.test(stderr)) return new ConflictError(`Container ${id} is not running`);
  return new EngineError(`cannot ${op} container ${id}: ${stderr.trim()}`);
}
