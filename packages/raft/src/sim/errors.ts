// Errors of the simulation.

/** One of Raft's safety properties (or liveness after faults stop) did not hold. */
export class SafetyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetyViolation';
  }
}
