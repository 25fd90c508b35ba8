import { EngineError, NotFoundError } from '@flotilla/engine-core';

/** No peer asked has the image (or none could be reached): the caller tries the registry next. */
export class PeerImageNotFoundError extends NotFoundError {
  constructor(
    readonly ref: string,
    readonly attempts: string[],
  ) {
    super(`No such image: ${ref} on any peer node${attempts.length ? ` (${attempts.join('; ')})` : ''}`);
  }
}

/**
 * A peer had the image but the transfer failed: a digest that does not verify, a peer that died
 * mid-transfer, a malformed answer. Nothing of the image is left in the local store.
 */
export class PeerFetchError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 502, options);
  }
}
