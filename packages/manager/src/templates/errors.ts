// Errors of secret and config templates (a bad template is the client's error: 400 at create).
import { ManagerError } from '../errors';

/** `message` reads like Go's: `template: :1: unclosed action`. */
export class TemplateError extends ManagerError {
  constructor(message: string) {
    super(message.startsWith('template') ? message : `template: ${message}`, 400);
  }
}
