// The parse tree of a Go template, and Go's String() of a node (the `<...>` in execution errors).

export interface Pos {
  pos: number;
}

export type Arg =
  | (Pos & { kind: 'field'; idents: string[] })
  | (Pos & { kind: 'variable'; name: string; idents: string[] })
  | (Pos & { kind: 'chain'; node: Arg; idents: string[] })
  | (Pos & { kind: 'identifier'; name: string })
  | (Pos & { kind: 'dot' })
  | (Pos & { kind: 'nil' })
  | (Pos & { kind: 'bool'; value: boolean })
  | (Pos & { kind: 'number'; value: number; text: string })
  | (Pos & { kind: 'string'; value: string; text: string })
  | (Pos & { kind: 'pipe'; pipe: Pipe });

export interface Command extends Pos {
  args: Arg[];
}

export interface Pipe extends Pos {
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

export interface ControlNode extends Pos {
  kind: 'if' | 'range' | 'with';
  pipe: Pipe;
  list: Node[];
  elseList?: Node[];
}

export type Node =
  | (Pos & { kind: 'text'; text: string })
  | (Pos & { kind: 'action'; pipe: Pipe })
  | ControlNode
  | (Pos & { kind: 'break' | 'continue' });

export function argString(a: Arg): string {
  switch (a.kind) {
    case 'field':
      return a.idents.map((i) => `.${i}`).join('');
    case 'variable':
      return [a.name, ...a.idents].join('.');
    case 'chain':
      return `${a.node.kind === 'pipe' ? `(${argString(a.node)})` : argString(a.node)}${a.idents.map((i) => `.${i}`).join('')}`;
    case 'identifier':
      return a.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(a.value);
    case 'number':
    case 'string':
      return a.text;
    case 'pipe':
      return pipeString(a.pipe);
  }
}

export function commandString(c: Command): string {
  return c.args.map((a) => (a.kind === 'pipe' ? `(${argString(a)})` : argString(a))).join(' ');
}

export function pipeString(p: Pipe): string {
  const decl = p.decl.length ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return decl + p.cmds.map(commandString).join(' | ');
}
