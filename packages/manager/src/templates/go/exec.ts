// Go text/template execution over JSON-shaped data: fields, variables, pipelines, if/range/with.
import { type Arg, argString, type Command, commandString, type ControlNode, type Node, type Pipe } from './ast';
import { TemplateExecError } from './errors';
import type { Func } from './funcs';
import { goType, isMap, printValue, truth } from './values';

const MISSING = Symbol('missing');
type Final = unknown | typeof MISSING;
class Break {}
class Continue {}

export interface ExecOptions {
  funcs: Record<string, Func>;
  /** Table header mode: a field prints its column's header instead of its value. */
  header?: (path: string[]) => string;
}

/** Run a parsed template against `data` and return what it prints. */
export function execute(text: string, nodes: Node[], data: unknown, opts: ExecOptions): string {
  const out: string[] = [];
  const vars: { name: string; value: unknown }[] = [{ name: '$', value: data }];

  const fail = (pos: number, context: string, reason: string): never => {
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - (before.lastIndexOf('\n') + 1);
    throw new TemplateExecError(line, col, context, reason);
  };

  const walkList = (list: Node[], dot: unknown): void => {
    for (const n of list) walk(n, dot);
  };

  const walk = (n: Node, dot: unknown): void => {
    switch (n.kind) {
      case 'text':
        out.push(n.text);
        return;
      case 'action': {
        const v = evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) out.push(printValue(v));
        return;
      }
      case 'if':
      case 'with': {
        const mark = vars.length;
        const v = evalPipeline(dot, n.pipe);
        if (truth(v)) walkList(n.list, n.kind === 'with' ? v : dot);
        else if (n.elseList) walkList(n.elseList, dot);
        vars.length = mark;
        return;
      }
      case 'range':
        return walkRange(n, dot);
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  };

  const walkRange = (n: ControlNode, dot: unknown): void => {
    const mark = vars.length;
    const saved = n.pipe.decl;
    // The range variables are set per element, not to the pipeline's value.
    const v = evalPipeline(dot, { ...n.pipe, decl: [] });
    const one = (key: unknown, elem: unknown): boolean => {
      if (saved.length === 1) setVar(saved[0]!, elem, n.pipe.isAssign);
      if (saved.length === 2) {
        setVar(saved[0]!, key, n.pipe.isAssign);
        setVar(saved[1]!, elem, n.pipe.isAssign);
      }
      const inner = vars.length;
      try {
        walkList(n.list, elem);
      } catch (e) {
        if (e instanceof Break) return false;
        if (!(e instanceof Continue)) throw e;
      } finally {
        vars.length = inner;
      }
      return true;
    };
    let ran = false;
    if (Array.isArray(v)) {
      for (let k = 0; k < v.length; k++) {
        ran = true;
        if (!one(k, v[k])) break;
      }
    } else if (isMap(v)) {
      for (const k of Object.keys(v).sort()) {
        ran = true;
        if (!one(k, v[k])) break;
      }
    } else if (typeof v === 'number' && Number.isInteger(v)) {
      if (saved.length > 1) fail(n.pos, 'range', `can't use ${v} to iterate over more than one variable`);
      for (let k = 0; k < v; k++) {
        ran = true;
        if (!one(k, k)) break;
      }
    } else if (v !== undefined && v !== null) {
      // Go reports at the node it evaluated last: the last command's first word.
      const at = n.pipe.cmds[n.pipe.cmds.length - 1]!.args[0]!;
      fail(at.pos, argString(at), `range can't iterate over ${printValue(v)}`);
    }
    vars.length = mark;
    if (!ran && n.elseList) walkList(n.elseList, dot);
  };

  const setVar = (name: string, value: unknown, assign: boolean): void => {
    if (assign) {
      for (let k = vars.length - 1; k >= 0; k--)
        if (vars[k]!.name === name) {
          vars[k]!.value = value;
          return;
        }
    }
    vars.push({ name, value });
  };

  const getVar = (pos: number, name: string): unknown => {
    for (let k = vars.length - 1; k >= 0; k--) if (vars[k]!.name === name) return vars[k]!.value;
    return fail(pos, name, `undefined variable: ${name}`);
  };

  const evalPipeline = (dot: unknown, p: Pipe): unknown => {
    let value: Final = MISSING;
    for (const c of p.cmds) value = evalCommand(dot, c, value);
    const v = value === MISSING ? undefined : value;
    for (const d of p.decl) setVar(d, v, p.isAssign);
    return v;
  };

  const evalCommand = (dot: unknown, c: Command, final: Final): unknown => {
    const first = c.args[0]!;
    const hasArgs = c.args.length > 1 || final !== MISSING;
    switch (first.kind) {
      case 'field':
        return evalChain(dot, dot, first, first.idents, c.args, final);
      case 'variable': {
        const v = getVar(first.pos, first.name);
        if (first.idents.length === 0) {
          if (hasArgs) fail(first.pos, argString(first), `can't give argument to non-function ${first.name}`);
          return v;
        }
        return evalChain(dot, v, first, first.idents, c.args, final);
      }
      case 'chain': {
        const v = evalArg(dot, first.node);
        return evalChain(dot, v, first, first.idents, c.args, final);
      }
      case 'identifier':
        return callFunc(dot, first, c.args.slice(1), final, commandString(c));
      case 'nil':
        return fail(first.pos, 'nil', 'nil is not a command');
      default:
        if (hasArgs) fail(first.pos, argString(first), `can't give argument to non-function ${argString(first)}`);
        return evalArg(dot, first);
    }
  };

  const evalArg = (dot: unknown, a: Arg): unknown => {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'bool':
      case 'number':
      case 'string':
        return a.value;
      case 'pipe': {
        const mark = vars.length;
        const v = evalPipeline(dot, a.pipe);
        vars.length = mark;
        return v;
      }
      case 'identifier':
        return callFunc(dot, a, [], MISSING);
      case 'field':
        return evalChain(dot, dot, a, a.idents, [a], MISSING);
      case 'variable':
        return a.idents.length
          ? evalChain(dot, getVar(a.pos, a.name), a, a.idents, [a], MISSING)
          : getVar(a.pos, a.name);
      case 'chain':
        return evalChain(dot, evalArg(dot, a.node), a, a.idents, [a], MISSING);
    }
  };

  const evalChain = (dot: unknown, recv: unknown, node: Arg, idents: string[], args: Arg[], final: Final): unknown => {
    if (opts.header) return opts.header(idents);
    let cur = recv;
    for (let k = 0; k < idents.length; k++) {
      const name = idents[k]!;
      const last = k === idents.length - 1;
      const hasArgs = last && (args.length > 1 || final !== MISSING);
      if (cur === undefined || cur === null) return undefined;
      if (!isMap(cur)) return fail(node.pos, argString(node), `can't evaluate field ${name} in type ${goType(cur)}`);
      const v = Object.prototype.hasOwnProperty.call(cur, name) ? cur[name] : undefined;
      if (typeof v === 'function') {
        const a = last ? args.slice(1).map((x) => evalArg(dot, x)) : [];
        if (last && final !== MISSING) a.push(final);
        try {
          cur = (v as (...x: unknown[]) => unknown).apply(cur, a);
        } catch (e) {
          return fail(
            node.pos,
            argString(node),
            `error calling ${name}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        continue;
      }
      if (hasArgs) fail(node.pos, argString(node), `${name} is not a method but has arguments`);
      cur = v;
    }
    return cur;
  };

  const callFunc = (
    dot: unknown,
    id: Extract<Arg, { kind: 'identifier' }>,
    argNodes: Arg[],
    final: Final,
    cmd = id.name,
  ): unknown => {
    const f = opts.funcs[id.name]!;
    const count = argNodes.length + (final === MISSING ? 0 : 1);
    if ((f.args !== undefined && count !== f.args) || (f.min !== undefined && count < f.min))
      fail(id.pos, id.name, `wrong number of args for ${id.name}: want ${f.args ?? `at least ${f.min}`} got ${count}`);
    const lazy = (k: number): unknown => (k < argNodes.length ? evalArg(dot, argNodes[k]!) : final);
    if (id.name === 'and' || id.name === 'or') {
      let v: unknown;
      for (let k = 0; k < count; k++) {
        v = lazy(k);
        if (truth(v) === (id.name === 'or')) return v;
      }
      return v;
    }
    const a: unknown[] = [];
    for (let k = 0; k < count; k++) a.push(lazy(k));
    try {
      return f.fn(...a);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return fail(id.pos, cmd, `error calling ${id.name}: ${msg}`);
    }
  };

  walkList(nodes, data);
  return out.join('');
}
