// Dockerfile word processing (docker's ShellLex): quotes, the escape token, $VAR, ${VAR},
// ${VAR:-default}, ${VAR:+alternative}, ${VAR-default}, ${VAR+alternative}. Pure.

export type Lookup = (name: string) => string | undefined;

/**
 * Split on unquoted whitespace, keeping quotes and escapes in the words (docker splits ENV/LABEL
 * `k=v` lists this way before processing each word).
 */
export function splitWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote) {
      cur += ch;
      if (ch === escape && quote === '"' && i + 1 < text.length) cur += text[++i];
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    cur += ch;
    if (ch === escape && i + 1 < text.length) cur += text[++i];
    else if (ch === '"' || ch === "'") quote = ch;
  }
  if (inWord) words.push(cur);
  return words;
}

/** Expand variables in one word and remove its quotes and escapes. */
export function expandWord(word: string, lookup: Lookup, escape = '\\'): string {
  let out = '';
  let i = 0;
  const readVar = (): string => {
    // at '$'
    i++;
    if (word[i] === '{') {
      i++;
      let name = '';
      while (i < word.length && /[A-Za-z0-9_]/.test(word.charAt(i))) name += word[i++];
      if (word[i] === '}') {
        i++;
        return lookup(name) ?? '';
      }
      let op = word[i++];
      if (op === ':') op += word[i++];
      let depth = 1;
      let arg = '';
      while (i < word.length) {
        if (word[i] === '{' && word[i - 1] === '$') depth++;
        if (word[i] === '}' && --depth === 0) break;
        arg += word[i++];
      }
      i++;
      const val = lookup(name);
      const argVal = (): string => expandWord(arg, lookup, escape);
      switch (op) {
        case ':-':
          return val ? val : argVal();
        case '-':
          return val !== undefined ? val : argVal();
        case ':+':
          return val ? argVal() : '';
        case '+':
          return val !== undefined ? argVal() : '';
        default:
          throw new Error(`unsupported modifier (${op}) in substitution`);
      }
    }
    let name = '';
    while (i < word.length && /[A-Za-z0-9_]/.test(word.charAt(i))) name += word[i++];
    if (!name) return '$';
    return lookup(name) ?? '';
  };
  while (i < word.length) {
    const ch = word[i];
    if (ch === "'") {
      const end = word.indexOf("'", i + 1);
      out += word.slice(i + 1, end < 0 ? word.length : end);
      i = end < 0 ? word.length : end + 1;
    } else if (ch === '"') {
      i++;
      while (i < word.length && word[i] !== '"') {
        if (word[i] === escape && i + 1 < word.length && ['"', '$', escape].includes(word.charAt(i + 1))) {
          out += word[i + 1];
          i += 2;
        } else if (word[i] === '$') out += readVar();
        else out += word[i++];
      }
      i++;
    } else if (ch === escape && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
    } else if (ch === '$') {
      out += readVar();
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Split then expand: the argument list of COPY, EXPOSE, VOLUME and friends in shell form. */
export function expandWords(text: string, lookup: Lookup, escape = '\\'): string[] {
  return splitWords(text, escape).map((w) => expandWord(w, lookup, escape));
}

/** Parse `k=v k2="v 2"` (or the legacy `k v` when `legacy` allows) into pairs, expanded. */
export function parseKeyValues(text: string, lookup: Lookup, escape = '\\', legacy = true): [string, string][] {
  const words = splitWords(text, escape);
  const [key] = words;
  if (key === undefined) return [];
  if (!key.includes('=')) {
    if (!legacy) throw new Error(`${key}: expected key=value`);
    const rest = text.trim().slice(key.length).trim();
    return [[key, expandWord(rest, lookup, escape)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new Error(`${w}: expected key=value`);
    return [expandWord(w.slice(0, eq), lookup, escape), expandWord(w.slice(eq + 1), lookup, escape)];
  });
}
