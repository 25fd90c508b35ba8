// Named routing-mesh errors with messages that tell the user what is wrong and what to do.
import { ConflictError, EngineError, InvalidArgumentError } from '@flotilla/engine-core';

/** The published port is held by another service of this mesh or another process on the node. */
export class PortInUseError extends ConflictError {
  constructor(
    readonly port: number,
    readonly holder?: string,
    options?: { cause?: unknown },
  ) {
    super(
      `port ${port} is already in use on this node: ${holder ? `service ${holder} publishes it` : 'another service or process holds it'}` +
        '; publish another port or stop what holds it',
      options,
    );
  }
}

export class UnsupportedProtocolError extends InvalidArgumentError {
  constructor(readonly protocol: string) {
    super(`the routing mesh publishes tcp ports only, not ${protocol}: use mode: host for ${protocol} ports`);
  }
}

/** Binding failed for another reason than a port in use (permission, address not on this host). */
export class MeshListenError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 500, options);
  }
}
