// Errors of the manager's gRPC services (dispatcher, membership, CA): mapped to gRPC codes.
import { ManagerError } from '../errors';

/** A call without a valid node certificate, or from a role that may not make it. */
export class PermissionDeniedError extends ManagerError {
  readonly code = 7; // grpc PERMISSION_DENIED
  constructor(message: string) {
    super(message);
  }
}
