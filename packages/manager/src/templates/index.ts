// Go templates: the engine (./go) behind the CLI's --format and the secret and config templates
// (parsed by the control API at create, expanded per task on the worker).
export { parseTemplate, checkTemplate, expandTemplate, type TemplateContext } from './template';
export { TemplateError } from './errors';
export * from './go';
