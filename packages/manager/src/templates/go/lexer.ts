// Go text/template lexer: text and `{{ }}` actions into items, with `{{- -}}` trimming and comments.

export type ItemType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'field'
  | 'variable'
  | 'identifier'
  | 'keyword'
  | 'dot'
  | 'string'
  | 'rawString'
  | 'charConstant'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'char'
  | 'eof'
  | 'error';

export interface Item {
  type: ItemType;
  val: string;
  pos: number;
  line: number;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

/** Go's item.String(): how the parser names a token in its errors. */
export function itemString(i: Item): string {
  if (i.type === 'eof') return 'EOF';
  if (i.type === 'error') return i.val;
  if (i.type === 'keyword') return `<${i.val}>`;
  const q = JSON.stringify(i.val);
  return i.val.length > 10 ? `${JSON.stringify(i.val.slice(0, 10))}...` : q;
}

/** Lex the whole template; the last item is `eof` or `error`. */
export function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  const emit = (type: ItemType, val = input.slice(start, pos)): void => {
    items.push({ type, val, pos: start, line: startLine });
    for (const ch of input.slice(start, pos)) if (ch === '\n') line++;
    start = pos;
    startLine = line;
  };
  const skip = (): void => {
    for (const ch of input.slice(start, pos)) if (ch === '\n') line++;
    start = pos;
    startLine = line;
  };
  const fail = (msg: string): Item[] => {
    items.push({ type: 'error', val: msg, pos: start, line: startLine });
    return items;
  };
  const atRightDelim = (): { trim: boolean } | undefined => {
    if (isSpace(input[pos]) && input.startsWith('-}}', pos + 1)) return { trim: true };
    if (input.startsWith('}}', pos)) return { trim: false };
    return undefined;
  };

  for (;;) {
    // Text up to the next left delimiter.
    const next = input.indexOf('{{', pos);
    if (next < 0) {
      pos = input.length;
      if (pos > start) emit('text');
      items.push({ type: 'eof', val: '', pos, line });
      return items;
    }
    const trimLeft = input[next + 2] === '-' && isSpace(input[next + 3]);
    pos = next;
    let textEnd = pos;
    if (trimLeft) while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
    if (textEnd > start) {
      const save = pos;
      pos = textEnd;
      emit('text');
      pos = save;
    }
    skip();
    pos += trimLeft ? 4 : 2;
    emit('leftDelim', '{{');
    // A comment fills the whole action.
    if (input.startsWith('/*', pos)) {
      const end = input.indexOf('*/', pos + 2);
      if (end < 0) return fail('unclosed comment');
      pos = end + 2;
      const rd = atRightDelim();
      if (!rd) return fail('comment ends before closing delimiter');
      pos += rd.trim ? 4 : 2;
      skip();
      if (rd.trim) while (isSpace(input[pos])) pos++;
      skip();
      items.pop();
      continue;
    }
    // Inside the action.
    for (;;) {
      const rd = atRightDelim();
      if (rd && parenDepth > 0) return fail('unclosed left paren');
      if (rd) {
        if (rd.trim) {
          pos += 1;
          if (pos > start) emit('space');
        }
        pos += rd.trim ? 3 : 2;
        emit('rightDelim', '}}');
        if (rd.trim) {
          while (isSpace(input[pos])) pos++;
          skip();
        }
        break;
      }
      const c = input[pos];
      if (c === undefined) return fail('unclosed action');
      if (isSpace(c)) {
        while (isSpace(input[pos]) && !(isSpace(input[pos]) && input.startsWith('-}}', pos + 1))) pos++;
        if (pos === start) pos++;
        emit('space');
      } else if (c === '=') {
        pos++;
        emit('assign');
      } else if (c === ':') {
        if (input[pos + 1] !== '=') return fail('expected :=');
        pos += 2;
        emit('declare');
      } else if (c === '|') {
        pos++;
        emit('pipe');
      } else if (c === ',') {
        pos++;
        emit('comma');
      } else if (c === '"') {
        pos++;
        for (;;) {
          const d = input[pos];
          if (d === '\\') pos += 2;
          else if (d === undefined || d === '\n') return fail('unterminated quoted string');
          else if (d === '"') break;
          else pos++;
        }
        pos++;
        emit('string');
      } else if (c === '`') {
        const end = input.indexOf('`', pos + 1);
        if (end < 0) return fail('unterminated raw quoted string');
        pos = end + 1;
        emit('rawString');
      } else if (c === "'") {
        pos++;
        for (;;) {
          const d = input[pos];
          if (d === '\\') pos += 2;
          else if (d === undefined || d === '\n') return fail('unterminated character constant');
          else if (d === "'") break;
          else pos++;
        }
        pos++;
        emit('charConstant');
      } else if (c === '$') {
        pos++;
        while (isAlnum(input[pos])) pos++;
        emit('variable');
      } else if (c === '.') {
        if (/[0-9]/.test(input[pos + 1] ?? '')) {
          if (!lexNumber()) return fail(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
        } else {
          pos++;
          while (isAlnum(input[pos])) pos++;
          emit(pos - start === 1 ? 'dot' : 'field');
        }
      } else if (c === '+' || c === '-' || /[0-9]/.test(c)) {
        if (!lexNumber()) return fail(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
      } else if (isAlnum(c)) {
        while (isAlnum(input[pos])) pos++;
        const w = input.slice(start, pos);
        emit(KEYWORDS.has(w) ? 'keyword' : w === 'true' || w === 'false' ? 'bool' : w === 'nil' ? 'nil' : 'identifier');
      } else if (c === '(') {
        pos++;
        parenDepth++;
        emit('leftParen');
      } else if (c === ')') {
        pos++;
        if (--parenDepth < 0) return fail("unexpected right paren U+0029 ')'");
        emit('rightParen');
      } else if (c.charCodeAt(0) < 0x7f && c.charCodeAt(0) >= 0x20) {
        pos++;
        emit('char');
      } else {
        const cp = c.codePointAt(0)!;
        return fail(`unrecognized character in action: U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
      }
    }
  }

  function lexNumber(): boolean {
    const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/.exec(
      input.slice(pos),
    );
    const len = m?.[0].length ?? 0;
    pos += Math.max(len, 1);
    if (len === 0 || isAlnum(input[pos]) || input[pos] === '.') {
      while (isAlnum(input[pos]) || input[pos] === '.') pos++;
      return false;
    }
    emit('number');
    return true;
  }
}
