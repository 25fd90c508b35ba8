// Errors of the control API, each with the HTTP status the daemon answers it with (read at the edge).
import { ManagerError } from '../errors';

/** A spec, body or value the control API refuses: 400. */
export class InvalidSpecError extends ManagerError {
  constructor(message: string) {
    super(message, 400);
  }
}

export class ServiceNotFoundError extends ManagerError {
  constructor(readonly ref: string) {
    super(`service ${ref} not found`, 404);
  }
}

export class NodeNotFoundError extends ManagerError {
  constructor(readonly ref: string) {
    super(`node ${ref} not found`, 404);
  }
}

export class TaskNotFoundError extends ManagerError {
  constructor(readonly ref: string) {
    super(`task ${ref} not found`, 404);
  }
}

export class NetworkNotFoundError extends ManagerError {
  constructor(readonly ref: string) {
    super(`network ${ref} not found`, 404);
  }
}

export class PortConflictError extends ManagerError {
  constructor(port: number, proto: string, serviceName: string, serviceId: string) {
    super(
      `port '${port}' is already in use by service '${serviceName}' (${serviceId}) as an ingress port${proto === 'tcp' ? '' : ` (${proto})`}`,
      400,
    );
  }
}

/** `node rm` of a manager: docker's text (demote it first). */
export class NodeIsManagerError extends ManagerError {
  constructor(readonly nodeId: string) {
    super(
      `rpc error: node ${nodeId} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
      400,
    );
  }
}

/** `node rm` of a node whose daemon still runs, without --force. */
export class NodeNotDownError extends ManagerError {
  constructor(readonly nodeId: string) {
    super(`node ${nodeId} is not down and can't be removed: stop its daemon first, or use --force`, 400);
  }
}

/** The cluster object is not in this manager's store (yet): an unexpected state, 500. */
export class ClusterNotFoundError extends ManagerError {
  constructor() {
    super("the swarm has no cluster object in this manager's store yet: retry shortly");
  }
}

/** The word a secret's or config's errors use: docker's texts are the same for both kinds. */
export type DataKind = 'secret' | 'config';

/** `secret inspect/rm/update` of a secret (or config) no ID, name or ID prefix names: 404. */
export class DataObjectNotFoundError extends ManagerError {
  constructor(
    readonly kind: DataKind,
    readonly ref: string,
  ) {
    super(`${kind} ${ref} not found`, 404);
  }
}

/** An ID prefix that matches more than one secret (or config): docker's text, 400. */
export class DataObjectAmbiguousError extends ManagerError {
  constructor(
    readonly kind: DataKind,
    readonly ref: string,
    readonly matches: number,
  ) {
    super(`${kind} ${ref} is ambiguous (${matches} matches found)`, 400);
  }
}

/** `secret create` with a name in use: docker's text, 409. */
export class DataObjectExistsError extends ManagerError {
  constructor(
    readonly kind: DataKind,
    readonly objectName: string,
  ) {
    super(`${kind} ${objectName} already exists`, 409);
  }
}

/** `secret rm` of a secret a service uses: swarmkit's text (InvalidArgument, which dockerd answers 400). */
export class DataObjectInUseError extends ManagerError {
  constructor(
    readonly kind: DataKind,
    readonly objectName: string,
    readonly services: string[],
  ) {
    super(
      `${kind} '${objectName}' is in use by the following service${services.length === 1 ? '' : 's'}: ${services.join(', ')}`,
      400,
    );
  }
}

/** A service spec naming a secret (or config) that does not exist: swarmkit's text, 400. */
export class ReferencedObjectNotFoundError extends ManagerError {
  constructor(
    readonly kind: DataKind,
    readonly names: string[],
  ) {
    super(`${kind}${names.length === 1 ? '' : 's'} not found: ${names.join(', ')}`, 400);
  }
}

/** A service spec pinning a data version of a secret (or config) that is no longer kept: 400. */
export class DataVersionGoneError extends ManagerError {
  constructor(
    readonly kind: DataKind,
    readonly objectName: string,
    readonly version: number,
    readonly current: number,
  ) {
    super(
      `${kind} ${objectName} has no data version ${version} (it is at version ${current}; older versions are kept only while a service or task uses them): leave DataVersion out to use the current data`,
      400,
    );
  }
}
