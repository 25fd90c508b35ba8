// Go text/template parser: items into a tree, with Go's parse errors (`template: :1: ...`).
import type { Arg, Command, Node, Pipe } from './ast';
import { TemplateParseError } from './errors';
import { type Item, itemString, lex } from './lexer';

type Stop = { kind: 'end' | 'else'; item: Item; elseIf?: 'if' | 'with' };

/** Parse `input` into a node list; `funcs` names the functions a template may call. */
export function parse(input: string, funcs: ReadonlySet<string>): Node[] {
  const items = lex(input);
  let i = 0;
  let vars: string[] = ['$'];
  let rangeDepth = 0;

  const fail = (item: Item, msg: string): never => {
    throw new TemplateParseError(item.line, msg);
  };
  const next = (): Item => {
    const it = items[i]!;
    if (it.type === 'error') fail(it, it.val);
    if (i < items.length - 1) i++;
    return it;
  };
  const backup = (): void => {
    i--;
  };
  const peek = (): Item => items[i]!;
  const nextNonSpace = (): Item => {
    let t = next();
    while (t.type === 'space') t = next();
    return t;
  };
  const peekNonSpace = (): Item => {
    const t = nextNonSpace();
    backup();
    return t;
  };
  const unexpected = (t: Item, context: string): never => fail(t, `unexpected ${itemString(t)} in ${context}`);
  const expect = (type: Item['type'], context: string): Item => {
    const t = nextNonSpace();
    if (t.type !== type) unexpected(t, context);
    return t;
  };

  const list = (): { nodes: Node[]; stop: Stop } => {
    const nodes: Node[] = [];
    for (;;) {
      const t = next();
      if (t.type === 'eof') fail(t, 'unexpected EOF');
      if (t.type === 'text') {
        nodes.push({ kind: 'text', pos: t.pos, text: t.val });
        continue;
      }
      const r = action();
      if ('stop' in r) return { nodes, stop: r.stop };
      nodes.push(r);
    }
  };

  const top = (): Node[] => {
    const nodes: Node[] = [];
    for (;;) {
      const t = next();
      if (t.type === 'eof') return nodes;
      if (t.type === 'text') {
        nodes.push({ kind: 'text', pos: t.pos, text: t.val });
        continue;
      }
      const r = action();
      if ('stop' in r) return fail(r.stop.item, `unexpected {{${r.stop.kind}}}`);
      nodes.push(r);
    }
  };

  // After a left delimiter.
  const action = (): Node | { stop: Stop } => {
    const t = nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.val) {
        case 'if':
        case 'with':
        case 'range':
          return control(t.val, t);
        case 'end':
          expect('rightDelim', 'end');
          return { stop: { kind: 'end', item: t } };
        case 'else': {
          const p = peekNonSpace();
          if (p.type === 'keyword' && (p.val === 'if' || p.val === 'with')) {
            next();
            return { stop: { kind: 'else', item: t, elseIf: p.val } };
          }
          expect('rightDelim', 'else');
          return { stop: { kind: 'else', item: t } };
        }
        case 'break':
        case 'continue':
          if (rangeDepth === 0) fail(t, `{{${t.val}}} outside {{range}}`);
          expect('rightDelim', t.val);
          return { kind: t.val, pos: t.pos };
        default:
          fail(t, `{{${t.val}}} is not supported in --format templates`);
      }
    }
    backup();
    return { kind: 'action', pos: t.pos, pipe: pipeline('command', 'rightDelim') };
  };

  const control = (kind: 'if' | 'with' | 'range', t: Item): Node => {
    const mark = vars.length;
    const pipe = pipeline(kind, 'rightDelim');
    if (kind === 'range') rangeDepth++;
    const body = list();
    if (kind === 'range') rangeDepth--;
    let elseList: Node[] | undefined;
    if (body.stop.kind === 'else') {
      if (body.stop.elseIf) {
        if (body.stop.elseIf !== kind) fail(body.stop.item, `unexpected <${body.stop.elseIf}> in else`);
        // `else if`: the nested control consumes the one {{end}}.
        elseList = [control(kind, body.stop.item)];
      } else {
        const e = list();
        if (e.stop.kind !== 'end') fail(e.stop.item, `expected end; found {{else}}`);
        elseList = e.nodes;
      }
    }
    vars = vars.slice(0, mark);
    return { kind, pos: t.pos, pipe, list: body.nodes, elseList };
  };

  const pipeline = (context: string, end: 'rightDelim' | 'rightParen'): Pipe => {
    const first = peekNonSpace();
    const pipe: Pipe = { pos: first.pos, decl: [], isAssign: false, cmds: [] };
    // Declarations: `$x :=`, `$x =`, `$i, $e :=` (range only).
    decls: {
      const v = peekNonSpace();
      if (v.type !== 'variable') break decls;
      const save = i;
      next();
      const op = nextNonSpace();
      if (op.type === 'declare' || op.type === 'assign') {
        pipe.decl.push(v.val);
        pipe.isAssign = op.type === 'assign';
      } else if (op.type === 'comma' && context === 'range') {
        const v2 = nextNonSpace();
        const op2 = nextNonSpace();
        if (v2.type !== 'variable' || (op2.type !== 'declare' && op2.type !== 'assign'))
          fail(v2, 'range can only initialize variables');
        pipe.decl.push(v.val, v2.val);
        pipe.isAssign = op2.type === 'assign';
      } else {
        i = save;
        break decls;
      }
      for (const d of pipe.decl) {
        if (pipe.isAssign && !vars.includes(d)) fail(v, `undefined variable ${JSON.stringify(d)}`);
        if (!pipe.isAssign) vars.push(d);
      }
    }
    for (;;) {
      const t = nextNonSpace();
      if (t.type === end) {
        if (pipe.cmds.length === 0) fail(t, `missing value for ${context}`);
        pipe.cmds.forEach((c, n) => {
          const a = c.args[0]!;
          if (n > 0 && ['bool', 'dot', 'nil', 'number', 'string'].includes(a.kind))
            fail(t, `non executable command in pipeline stage ${n + 1}`);
        });
        return pipe;
      }
      const starts = ['bool', 'charConstant', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string'];
      if (starts.includes(t.type) || t.type === 'variable' || t.type === 'leftParen') {
        backup();
        pipe.cmds.push(command());
      } else unexpected(t, context);
    }
  };

  const command = (): Command => {
    const cmd: Command = { pos: peekNonSpace().pos, args: [] };
    for (;;) {
      peekNonSpace();
      const a = operand();
      if (a) cmd.args.push(a);
      const t = next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') backup();
      else if (t.type === 'pipe') {
        if (cmd.args.length === 0) fail(t, 'missing command');
        const p = peekNonSpace();
        if (p.type === 'rightDelim' || p.type === 'rightParen') fail(p, 'missing command');
      } else unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) fail(peek(), 'empty command');
    return cmd;
  };

  const operand = (): Arg | undefined => {
    const node = term();
    if (!node) return undefined;
    if (peek().type !== 'field') return node;
    const idents: string[] = [];
    while (peek().type === 'field') idents.push(next().val.slice(1));
    if (node.kind === 'field' || node.kind === 'variable') return { ...node, idents: [...node.idents, ...idents] };
    if (['bool', 'string', 'number', 'nil', 'dot'].includes(node.kind))
      fail(items[i - 1]!, `unexpected . after term ${JSON.stringify(node.kind === 'string' ? node.text : '')}`);
    return { kind: 'chain', pos: node.pos, node, idents };
  };

  const term = (): Arg | undefined => {
    const t = nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!funcs.has(t.val)) fail(t, `function ${JSON.stringify(t.val)} not defined`);
        return { kind: 'identifier', pos: t.pos, name: t.val };
      case 'dot':
        return { kind: 'dot', pos: t.pos };
      case 'nil':
        return { kind: 'nil', pos: t.pos };
      case 'variable':
        if (!vars.includes(t.val)) fail(t, `undefined variable ${JSON.stringify(t.val)}`);
        return { kind: 'variable', pos: t.pos, name: t.val, idents: [] };
      case 'field':
        return { kind: 'field', pos: t.pos, idents: [t.val.slice(1)] };
      case 'bool':
        return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'number':
      case 'charConstant': {
        const value = t.type === 'charConstant' ? unquoteChar(t) : Number(t.val.replace(/_/g, ''));
        if (Number.isNaN(value) || t.val === '') fail(t, `bad number syntax: ${JSON.stringify(t.val)}`);
        return { kind: 'number', pos: t.pos, value, text: t.val };
      }
      case 'string':
        return { kind: 'string', pos: t.pos, value: unquote(t), text: t.val };
      case 'rawString':
        return { kind: 'string', pos: t.pos, value: t.val.slice(1, -1), text: t.val };
      case 'leftParen': {
        const pipe = pipeline('parenthesized pipeline', 'rightParen');
        return { kind: 'pipe', pos: t.pos, pipe };
      }
      default:
        backup();
        return undefined;
    }
  };

  const unquote = (t: Item): string => {
    try {
      return JSON.parse(
        t.val.replace(/\\([abfv'])|\\x([0-9a-fA-F]{2})/g, (_m, c: string, x: string) =>
          x
            ? `\\u00${x}`
            : c === "'"
              ? "'"
              : `\\u${({ a: '0007', b: '0008', f: '000c', v: '000b' } as const)[c as 'a']}`,
        ),
      ) as string;
    } catch {
      return fail(t, `invalid syntax: ${t.val}`);
    }
  };
  const unquoteChar = (t: Item): number => {
    const s = unquote({ ...t, val: `"${t.val.slice(1, -1).replace(/"/g, '\\"')}"` });
    if ([...s].length !== 1) fail(t, `malformed character constant: ${t.val}`);
    return s.codePointAt(0)!;
  };

  return top();
}
