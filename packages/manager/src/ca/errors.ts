// Errors of the cluster CA and its join tokens.
import { ManagerError } from '../errors';

/** A join token that is malformed, for another cluster, or rotated away: 400 at the API edge. */
export class InvalidJoinTokenError extends ManagerError {
  constructor(reason: string) {
    super(`invalid join token: ${reason}`, 400);
  }
}

/** A certificate signing request the CA cannot sign (malformed, or its signature does not verify). */
export class CertificateRequestError extends ManagerError {
  constructor(message: string) {
    super(message);
  }
}

/** A `swarm update` whose CA settings cannot be carried out (docker's texts): 400 at the API edge. */
export class InvalidCaConfigError extends ManagerError {
  constructor(message: string) {
    super(message, 400);
  }
}
