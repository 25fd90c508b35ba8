/**
 * The manager's base error. Every named manager error carries the HTTP status the local API
 * answers it with; only the edge (the daemon's routes) reads it. 500 is an unexpected failure.
 */
export class ManagerError extends Error {
  readonly status: number;
  constructor(message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
  }
}
