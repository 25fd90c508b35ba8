/** Swarm membership errors with docker's texts (503/400 at the API edge). */
export class SwarmStateError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'SwarmStateError';
  }
}
