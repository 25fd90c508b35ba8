/** Where in which compose file something is: `file:line:col` and the key path. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/**
 * A compose file that cannot be used. The message names the file, line, column and key path,
 * e.g. `docker-compose.yml:9:19: services.web.deploy.replicas: expected a non-negative integer`.
 */
export class ComposeError extends Error {
  constructor(
    readonly detail: string,
    readonly keyPath: string,
    readonly pos?: SourcePos,
  ) {
    super(`${pos ? `${pos.file}:${pos.line}:${pos.col}: ` : ''}${keyPath ? `${keyPath}: ` : ''}${detail}`);
    this.name = 'ComposeError';
  }
}

/** `${VAR?message}` of an unset variable, or a malformed `${...}`. */
export class InterpolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterpolationError';
  }
}

/** A problem found while converting a validated file, with the key path it belongs to. */
export class ConvertError extends Error {
  constructor(
    readonly keyPath: (string | number)[],
    message: string,
  ) {
    super(message);
    this.name = 'ConvertError';
  }
}
