// Errors of the worker agent.

/** The task cannot run on this node (missing image, bad mount): its state becomes REJECTED. */
export class TaskRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskRejectedError';
  }
}
