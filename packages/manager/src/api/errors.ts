/** Control API errors carry the HTTP status the daemon maps them to (only at the edge). */
export class ControlError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidSpecError extends ControlError {
  constructor(message: string) {
    super(message, 400);
  }
}

export class ServiceNotFoundError extends ControlError {
  constructor(ref: string) {
    super(`service ${ref} not found`, 404);
  }
}

export class NodeNotFoundError extends ControlError {
  constructor(ref: string) {
    super(`node ${ref} not found`, 404);
  }
}

export class NetworkNotFoundError extends ControlError {
  constructor(ref: string) {
    super(`network ${ref} not found`, 404);
  }
}

export class PortConflictError extends ControlError {
  constructor(port: number, proto: string, serviceName: string, serviceId: string) {
    super(
      `port '${port}' is already in use by service '${serviceName}' (${serviceId}) as an ingress port${proto === 'tcp' ? '' : ` (${proto})`}`,
      400,
    );
  }
}
