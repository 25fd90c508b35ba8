// Errors of the replicated store; apply hands them back as data and the proposer revives them.
import { ManagerError } from '../errors';

/** `service update` with a stale version: someone changed the object in between. */
export class VersionConflictError extends ManagerError {
  constructor(
    readonly table: string,
    readonly id: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `update out of sequence: ${table.replace(/s$/, '')} ${id} is at version ${actual}, not ${expected}; inspect it again and retry`,
      400,
    );
  }
}

export class ObjectNotFoundError extends ManagerError {
  constructor(
    readonly table: string,
    readonly id: string,
  ) {
    super(`${table.replace(/s$/, '')} ${id} not found`, 404);
  }
}

/** A name that must be unique (service, network, node hostname is not) is taken. */
export class NameConflictError extends ManagerError {
  constructor(
    readonly table: string,
    readonly objectName: string,
  ) {
    super(`${table.replace(/s$/, '')} with name ${objectName} already exists`, 409);
  }
}
