// Secret and config templates (`--template-driver golang`): the part of Go's text/template that
// docker's swarm templates use. An action is a field path (`{{.Service.Name}}`) or one of the
// functions env, secret, config with one quoted argument (`{{env "VAR"}}`). Parsing is separate so
// that the control API refuses a template that does not parse when the object is created.
import { TemplateError } from './errors';

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

type Part = { text: string } | { path: string[] } | { fn: 'env' | 'secret' | 'config'; arg: string };

const FIELD = /^\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/;
const CALL = /^(env|secret|config)\s+"((?:[^"\\]|\\.)*)"$/;

/** Parses a template; throws TemplateError naming the action and where it is. */
export function parseTemplate(text: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    if (open < 0) {
      parts.push({ text: text.slice(at) });
      break;
    }
    if (open > at) parts.push({ text: text.slice(at, open) });
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`unclosed action at offset ${open}`);
    // {{- and -}} trim the whitespace beside the action, as in Go.
    let inner = text.slice(open + 2, close);
    if (inner.startsWith('- ')) {
      inner = inner.slice(2);
      const last = parts[parts.length - 1];
      if (last && 'text' in last) last.text = last.text.trimEnd();
    }
    let trimAfter = false;
    if (inner.endsWith(' -')) {
      inner = inner.slice(0, -2);
      trimAfter = true;
    }
    inner = inner.trim();
    const field = FIELD.exec(inner);
    const call = CALL.exec(inner);
    if (field) parts.push({ path: field[1]!.split('.') });
    else if (call)
      parts.push({ fn: call[1] as 'env' | 'secret' | 'config', arg: JSON.parse(`"${call[2]!}"`) as string });
    else throw new TemplateError(`unsupported action {{${inner}}} at offset ${open}`);
    at = close + 2;
    if (trimAfter) while (at < text.length && /\s/.test(text[at]!)) at++;
  }
  return parts;
}

/** Throws TemplateError if `text` does not parse (the control API's check at create). */
export function checkTemplate(text: string): void {
  parseTemplate(text);
}

/** Go's fmt of a value as text/template prints it: maps as map[k:v ...] with sorted keys. */
function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'object')
    return `map[${Object.keys(v as object)
      .sort()
      .map((k) => `${k}:${show((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** Expands a template for one task; a missing secret or config is an error, as in docker. */
export function expandTemplate(text: string, ctx: TemplateContext): string {
  let out = '';
  for (const p of parseTemplate(text)) {
    if ('text' in p) out += p.text;
    else if ('path' in p) {
      let cur: unknown = ctx;
      for (const key of p.path) {
        if (cur === null || typeof cur !== 'object' || !(key in cur))
          throw new TemplateError(`template refers to .${p.path.join('.')}, which tasks do not have`);
        cur = (cur as Record<string, unknown>)[key];
      }
      out += show(cur);
    } else if (p.fn === 'env') out += ctx.env(p.arg) ?? '';
    else {
      const value = ctx[p.fn](p.arg);
      if (value === undefined)
        throw new TemplateError(
          `template refers to ${p.fn} "${p.arg}", which the task does not have: add it to the service's ${p.fn}s`,
        );
      out += value;
    }
  }
  return out;
}
