// Go's text/template over JSON-shaped data, with docker's functions: the CLI's --format and the
// swarm's secret and config templates run on it.
export type { Node as GoTemplateNode } from './ast';
export { execute as executeGoTemplate, type ExecOptions as GoTemplateExecOptions } from './exec';
export { FUNCS as GO_TEMPLATE_FUNCS, HEADER_FUNCS as GO_TEMPLATE_HEADER_FUNCS, FuncError, type Func } from './funcs';
export { parse as parseGoTemplate } from './parser';
export { tabwrite } from './tabwriter';
export { GoTemplateError, TemplateExecError, TemplateParseError } from './errors';
