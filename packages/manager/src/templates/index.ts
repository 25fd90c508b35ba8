// Secret and config templates: parsed by the control API at create, expanded on the worker per task.
export { parseTemplate, checkTemplate, expandTemplate, type TemplateContext } from './template';
export { TemplateError } from './errors';
