// The registry client's named errors.
import { EngineError } from '../errors';

/** A registry said no, or could not be reached. `status` is what the local API answers with. */
export class RegistryError extends EngineError {
  constructor(
    message: string,
    status = 500,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, status, options);
  }
}
