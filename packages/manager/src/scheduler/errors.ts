// Errors of the scheduler's placement rules.
import { ManagerError } from '../errors';

/** A placement constraint that cannot be parsed (the service is refused at create/update). */
export class InvalidConstraintError extends ManagerError {
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`invalid constraint "${expression}": ${reason}`);
  }
}
