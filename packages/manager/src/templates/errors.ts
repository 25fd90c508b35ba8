// Errors of secret and config templates (a bad template is the client's error: 400 at create).
import { ManagerError } from '../errors';

export class TemplateError extends ManagerError {
  constructor(message: string) {
    super(`template: ${message}`, 400);
  }
}
