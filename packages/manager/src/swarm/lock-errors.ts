// Errors of autolock, with docker's texts and the status docker's API answers them with.
import { ManagerError } from '../errors';

/** Anything of the swarm asked of a locked manager: docker's text, 503. */
export class SwarmLockedError extends ManagerError {
  constructor() {
    super(
      'Swarm is encrypted and needs to be unlocked before it can be used. Please use "flotilla swarm unlock" to unlock it.',
      503,
    );
  }
}

/** `swarm unlock` with a key that is malformed or not this manager's: docker's text, 401. */
export class InvalidUnlockKeyError extends ManagerError {
  constructor() {
    super('swarm could not be unlocked: invalid key provided', 401);
  }
}

/** `swarm unlock` on a node that is not locked: docker's text, 409. */
export class NotLockedError extends ManagerError {
  constructor() {
    super('swarm is not locked', 409);
  }
}
