// Errors of the Raft transport. Map them to gRPC codes / HTTP status only at the edge.

/** A peer sent something this version cannot read. */
export class InvalidRaftMessageError extends Error {
  constructor(
    readonly from: string,
    readonly detail: string,
  ) {
    super(`malformed raft message from ${from}: ${detail}; check that every manager runs the same flotilla version`);
    this.name = 'InvalidRaftMessageError';
  }
}

export class TransportClosedError extends Error {
  constructor() {
    super('raft transport is stopped; create a new GrpcTransport to talk to peers again');
    this.name = 'TransportClosedError';
  }
}
