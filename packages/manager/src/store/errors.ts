/** `service update` with a stale version: someone changed the object in between. */
export class VersionConflictError extends Error {
  constructor(
    readonly table: string,
    readonly id: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `update out of sequence: ${table.replace(/s$/, '')} ${id} is at version ${actual}, not ${expected}; inspect it again and retry`,
    );
    this.name = 'VersionConflictError';
  }
}

export class ObjectNotFoundError extends Error {
  constructor(
    readonly table: string,
    readonly id: string,
  ) {
    super(`${table.replace(/s$/, '')} ${id} not found`);
    this.name = 'ObjectNotFoundError';
  }
}

/** A name that must be unique (service, network, node hostname is not) is taken. */
export class NameConflictError extends Error {
  constructor(
    readonly table: string,
    readonly objectName: string,
  ) {
    super(`${table.replace(/s$/, '')} with name ${objectName} already exists`);
    this.name = 'NameConflictError';
  }
}
