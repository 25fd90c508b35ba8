// Secret and config templates (`--template-driver golang`): Go's text/template (./go, the engine
// the CLI's --format runs on) over a task's context, with docker's swarm functions env, secret and
// config. The control API parses a template at create; the worker expands it for each task.
import { unknownField } from './fields';
import { TemplateError } from './errors';
import {
  executeGoTemplate,
  FuncError,
  GO_TEMPLATE_FUNCS,
  GoTemplateError,
  parseGoTemplate,
  type Func,
  type GoTemplateNode,
} from './go';

export interface TemplateContext {
  Service: { ID: string; Name: string; Labels: Record<string, string> };
  Node: { ID: string; Hostname: string; Platform: { Architecture: string; OS: string } };
  Task: { ID: string; Name: string; Slot: string };
  /** The task container's environment (its spec's Env), as docker's `env` reads it. */
  env(name: string): string | undefined;
  /** A secret of the same task by its target (file) name; undefined if the task has none such. */
  secret(target: string): string | undefined;
  /** A config of the same task by its target (file) name. */
  config(target: string): string | undefined;
}

const NAMES = new Set([...Object.keys(GO_TEMPLATE_FUNCS), 'env', 'secret', 'config']);

/** Parses a template and checks the fields it names; throws TemplateError (400) saying what is wrong. */
export function parseTemplate(text: string): GoTemplateNode[] {
  let nodes: GoTemplateNode[];
  try {
    nodes = parseGoTemplate(text, NAMES);
  } catch (e) {
    throw e instanceof GoTemplateError ? new TemplateError(e.detail) : e;
  }
  const unknown = unknownField(nodes);
  if (unknown)
    throw new TemplateError(
      `template refers to ${unknown}, which tasks do not have: use .Service.ID/Name/Labels, .Node.ID/Hostname/Platform or .Task.ID/Name/Slot`,
    );
  return nodes;
}

/** Throws TemplateError if `text` does not parse (the control API's check at create). */
export function checkTemplate(text: string): void {
  parseTemplate(text);
}

/** Expands a template for one task; a secret or config the task does not have is an error, as in docker. */
export function expandTemplate(text: string, ctx: TemplateContext): string {
  const lookup = (kind: 'secret' | 'config'): Func => ({
    args: 1,
    fn: (name) => {
      const value = ctx[kind](String(name));
      if (value === undefined)
        throw new FuncError(
          `template refers to ${kind} "${String(name)}", which the task does not have: add it to the service's ${kind}s`,
        );
      return value;
    },
  });
  const funcs = {
    ...GO_TEMPLATE_FUNCS,
    env: { args: 1, fn: (name: unknown) => ctx.env(String(name)) ?? '' },
    secret: lookup('secret'),
    config: lookup('config'),
  };
  const data = { Service: ctx.Service, Node: ctx.Node, Task: ctx.Task };
  try {
    return executeGoTemplate(text, parseTemplate(text), data, { funcs });
  } catch (e) {
    throw e instanceof GoTemplateError ? new TemplateError(e.detail) : e;
  }
}
