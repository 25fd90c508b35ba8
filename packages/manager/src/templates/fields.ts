// The fields a secret or config template can name (docker's swarm template context), checked on the
// parse tree at create: a misspelt `{{.Service.Nmae}}` is refused then, not when a task starts.
import type { GoTemplateNode } from './go';
import type { Arg, Pipe } from './go/ast';

const FIELDS: Record<string, readonly string[]> = {
  Service: ['ID', 'Name', 'Labels'],
  Node: ['ID', 'Hostname', 'Platform'],
  Task: ['ID', 'Name', 'Slot'],
};

/** The first field path (`.A.B`) a template names at its top level that tasks do not have. */
export function unknownField(nodes: GoTemplateNode[]): string | undefined {
  const bad = (idents: string[]): string | undefined => {
    const [top, sub] = idents;
    if (top === undefined) return undefined;
    const known = FIELDS[top];
    if (!known || (sub !== undefined && !known.includes(sub))) return `.${idents.join('.')}`;
    return undefined;
  };
  const inArg = (a: Arg): string | undefined =>
    a.kind === 'field' || (a.kind === 'variable' && a.name === '$')
      ? bad(a.idents)
      : a.kind === 'pipe'
        ? inPipe(a.pipe)
        : a.kind === 'chain'
          ? inArg(a.node)
          : undefined;
  const inPipe = (p: Pipe): string | undefined => {
    for (const c of p.cmds) for (const a of c.args) if (inArg(a)) return inArg(a);
    return undefined;
  };
  for (const n of nodes) {
    // Inside range and with, `.` is something else: only their pipelines are checked.
    const found =
      n.kind === 'action' || n.kind === 'if' || n.kind === 'range' || n.kind === 'with' ? inPipe(n.pipe) : undefined;
    if (found) return found;
    if (n.kind === 'if') {
      const inner = unknownField(n.list) ?? unknownField(n.elseList ?? []);
      if (inner) return inner;
    }
  }
  return undefined;
}
