// Template errors, worded like Go's text/template and prefixed like docker's formatter.

/** A malformed or failing template: `template parsing error: template: :1: ...`. */
export class GoTemplateError extends Error {
  constructor(readonly detail: string) {
    super(`template parsing error: ${detail}`);
    this.name = 'GoTemplateError';
  }
}

/** Go's parse error: `template: :LINE: message`. */
export class TemplateParseError extends GoTemplateError {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`template: :${line}: ${reason}`);
    this.name = 'TemplateParseError';
  }
}

/** Go's execution error: `template: :LINE:COL: executing "" at <node>: message`. */
export class TemplateExecError extends GoTemplateError {
  constructor(
    readonly line: number,
    readonly col: number,
    readonly context: string,
    readonly reason: string,
  ) {
    const ctx = context.length > 20 ? `${context.slice(0, 20)}...` : context;
    super(`template: :${line}:${col}: executing "" at <${ctx}>: ${reason}`);
    this.name = 'TemplateExecError';
  }
}
