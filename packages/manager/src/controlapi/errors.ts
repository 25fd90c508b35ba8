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
