// The image store's named errors.
import { InvalidArgumentError } from '../errors';

/** Content did not hash to the digest it was announced with (blob, manifest or layer diff ID). */
export class DigestMismatchError extends InvalidArgumentError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    what = 'blob',
  ) {
    super(`${what} digest mismatch: expected ${expected}, got ${actual}; the source is corrupt or was tampered with`);
  }
}
