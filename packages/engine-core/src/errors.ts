// Named engine errors. Each carries the HTTP status the local API maps it to (only at the edge)
// and a user-facing message that says what was wrong and what to do.

export class EngineError extends Error {
  readonly status: number;
  constructor(message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
  }
}

/** 400: the request itself is malformed or invalid. */
export class InvalidArgumentError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 400, options);
  }
}

/** 404: no such container, image, network or volume. */
export class NotFoundError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 404, options);
  }
}

/** 409: a name in use, a running container removed without force, an image in use. */
export class ConflictError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 409, options);
  }
}

/** 304 in docker's API: already started / already stopped. */
export class NotModifiedError extends EngineError {
  constructor(message: string) {
    super(message, 304);
  }
}

/** A host dependency is missing (runc, iproute2, ...): says which package to install. */
export class MissingDependencyError extends EngineError {
  constructor(
    readonly binary: string,
    readonly aptPackage: string,
  ) {
    super(`${binary} not found: apt-get install ${aptPackage}`, 500);
  }
}

/** A host command exited non-zero: `command` as shown to the user, its stderr and exit code. */
export class CommandError extends EngineError {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly code: number | null,
  ) {
    super(`${command} failed (exit ${code}): ${stderr.trim() || 'no error output'}`);
  }
}

/** A Dockerfile error: names the file and line. */
export class BuildError extends EngineError {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(file && line ? `${file}:${line}: ${message}` : message, 400, options);
  }
}

export function isEngineError(e: unknown): e is EngineError {
  return e instanceof EngineError;
}
