// Errors of a node's swarm membership (docker's texts) and of its cluster listener.
import { EngineError } from '@flotilla/engine-core';

/** Swarm membership errors with docker's texts; the status (503 or 400) is what the API edge answers. */
export class SwarmStateError extends EngineError {
  constructor(message: string, status: number) {
    super(message, status);
  }
}

/** The cluster port could not be bound (in use, or an address this machine does not have). */
export class ClusterListenError extends Error {
  constructor(
    readonly addr: string,
    cause: Error,
  ) {
    super(
      `cannot listen on ${addr} for cluster traffic: ${cause.message.replace(/^\d+ [A-Z_]+: /, '')}. Free the port or pick another with --listen-addr`,
      { cause },
    );
    this.name = 'ClusterListenError';
  }
}
