// Dockerfile parser: parser directives, comments, line continuations, JSON (exec) vs shell form,
// flags. Pure: text in, instructions (with their line numbers) out. Variable expansion happens
// later, at evaluation, because ARG values change between instructions.
import { BuildError } from '../errors';

export const INSTRUCTIONS = [
  'FROM',
  'ARG',
  'ENV',
  'WORKDIR',
  'COPY',
  'ADD',
  'RUN',
  'USER',
  'EXPOSE',
  'LABEL',
  'VOLUME',
  'CMD',
  'ENTRYPOINT',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
  'MAINTAINER',
  'ONBUILD',
] as const;
export type InstructionName = (typeof INSTRUCTIONS)[number];

export interface Instruction {
  cmd: InstructionName;
  /** `--name=value` flags before the arguments (COPY --chown, FROM --platform, ...). */
  flags: Record<string, string>;
  /** Argument text after the flags, continuations joined. */
  rest: string;
  /** JSON array form, when the arguments are one (exec form). */
  json?: string[];
  /** The instruction as written (continuations joined), for "Step 1/7 : ..." lines. */
  original: string;
  line: number;
}

export interface Dockerfile {
  escape: string;
  directives: Record<string, string>;
  instructions: Instruction[];
}

const FLAG_INSTRUCTIONS = new Set(['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK']);

function parseJsonArray(rest: string): string[] | undefined {
  const t = rest.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    return undefined;
  }
  return undefined;
}

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n')
    .split('\n');
  const directives: Record<string, string> = {};
  let i = 0;
  // Parser directives: only at the very top, before any comment, blank line or instruction.
  for (const line of lines) {
    const [, name, value] = /^\s*#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$/.exec(line) ?? [];
    if (name === undefined || value === undefined) break;
    const key = name.toLowerCase();
    if (key !== 'escape' && key !== 'syntax' && key !== 'check') break;
    if (key in directives) throw new BuildError(`only one ${key} parser directive can be used`, file, i + 1);
    directives[key] = value;
    i++;
  }
  const escape = directives.escape ?? '\\';
  if (escape !== '\\' && escape !== '`')
    throw new BuildError(`invalid escape token '${escape}' does not match ` + '` or \\', file, 1);

  const instructions: Instruction[] = [];
  let raw: string | undefined;
  while ((raw = lines[i]) !== undefined) {
    const startLine = i + 1;
    i++;
    if (/^\s*(#.*)?$/.test(raw)) continue;
    let text = raw.trim();
    // line continuations: a trailing escape token joins the next non-comment line
    while (text.endsWith(escape)) {
      text = text.slice(0, -1);
      let joined = false;
      let next: string | undefined;
      while ((next = lines[i]) !== undefined) {
        i++;
        if (/^\s*#/.test(next)) continue;
        if (/^\s*$/.test(next)) continue;
        text += next.trimEnd();
        joined = true;
        break;
      }
      if (!joined) break;
    }
    const [, name, args] = /^(\S+)\s*([\s\S]*)$/.exec(text) ?? [];
    if (name === undefined || args === undefined) continue;
    const word = name.toUpperCase();
    if (!(INSTRUCTIONS as readonly string[]).includes(word)) {
      throw new BuildError(`unknown instruction: ${word}`, file, startLine);
    }
    const cmd = word as InstructionName;
    let rest = args;
    const flags: Record<string, string> = {};
    if (FLAG_INSTRUCTIONS.has(cmd)) {
      for (;;) {
        const [whole, flag, value] = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?\s*/.exec(rest) ?? [];
        if (whole === undefined || flag === undefined) break;
        flags[flag] = value ?? 'true';
        rest = rest.slice(whole.length);
      }
    }
    const inst: Instruction = { cmd, flags, rest: rest.trim(), original: text, line: startLine };
    const json = parseJsonArray(rest);
    if (json) inst.json = json;
    validate(inst, file);
    instructions.push(inst);
  }
  return { escape, directives, instructions };
}

function validate(inst: Instruction, file: string): void {
  const need = (ok: boolean, msg: string) => {
    if (!ok) throw new BuildError(msg, file, inst.line);
  };
  const n = inst.cmd;
  switch (n) {
    case 'FROM':
      need(inst.rest.length > 0, 'FROM requires either one or three arguments');
      break;
    case 'COPY':
    case 'ADD':
      need(
        (inst.json?.length ?? inst.rest.split(/\s+/).filter(Boolean).length) >= 2,
        `${n} requires at least two arguments, but only one was provided. Destination could not be determined.`,
      );
      break;
    case 'ENV':
    case 'LABEL':
    case 'ARG':
    case 'WORKDIR':
    case 'USER':
    case 'EXPOSE':
    case 'VOLUME':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      need(inst.rest.length > 0, `${n} requires at least one argument`);
      break;
    case 'SHELL':
      need(!!inst.json && inst.json.length > 0, 'SHELL requires the arguments to be in JSON form');
      break;
    case 'RUN':
      need(inst.rest.length > 0, 'RUN requires at least one argument');
      break;
    default:
      break;
  }
}
