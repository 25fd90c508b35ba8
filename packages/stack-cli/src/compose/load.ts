import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDotenv } from './dotenv';
import type { Env } from './interpolate';
import { mergeComposeFiles } from './merge';
import { ComposeError, ConvertError } from './errors';
import { convertStack, type StackSpec } from './normalize';
import { positionOf, parseComposeSource, type ComposeSource } from './source';
import { unsupportedWarnings, validateSource } from './validate';

export interface LoadOptions {
  /** Compose files in merge order (`-c a.yml -c b.yml`). */
  files: string[];
  /** The stack name: services become <namespace>_<service>. */
  namespace: string;
  /** The deploying shell's environment (wins over the .env file). */
  env?: Env;
  cwd?: string;
  readFile?: (path: string) => string;
  /** Secret and config files (binary); defaults to readFile's text when readFile is given. */
  readBytes?: (path: string) => Buffer;
}

export interface LoadedStack {
  spec: StackSpec;
  warnings: string[];
}

const STACK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Reads, interpolates, validates, merges and converts compose files into a stack spec. */
export function loadStack(opts: LoadOptions): LoadedStack {
  const [firstFile] = opts.files;
  if (firstFile === undefined) throw new ComposeError('Please specify a Compose file (with --compose-file).', '');
  if (!STACK_NAME.test(opts.namespace)) {
    throw new ComposeError(
      `invalid stack name "${opts.namespace}": use letters, digits, "_", "." and "-", starting with a letter or digit`,
      '',
    );
  }
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const cwd = opts.cwd ?? process.cwd();
  const workingDir = dirname(resolve(cwd, firstFile));
  const env: Env = { ...readDotenv(workingDir, read), ...(opts.env ?? process.env) };

  const sources: ComposeSource[] = opts.files.map((file) => {
    const path = resolve(cwd, file);
    let text: string;
    try {
      text = read(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ComposeError(
        code === 'ENOENT' ? `open ${file}: no such file or directory` : `cannot read ${file}: ${(e as Error).message}`,
        '',
      );
    }
    return parseComposeSource(file, text, env);
  });
  const files = sources.map(validateSource);
  const warnings = [...new Set(files.flatMap(unsupportedWarnings))];
  const merged = validateSource({
    file: opts.files.join(','),
    value: mergeComposeFiles(files as Record<string, unknown>[]),
    positions: new Map(),
  });
  // sources[0]! below: one source per file, and there is at least one file (checked on entry).
  if (!merged.services || Object.keys(merged.services).length === 0) {
    throw new ComposeError(
      'no services defined: add at least one service under services:',
      'services',
      positionOf(sources[0]!, ['services']),
    );
  }
  try {
    const spec = convertStack(merged, {
      namespace: opts.namespace,
      workingDir,
      env,
      readFile: read,
      readBytes: opts.readBytes ?? (opts.readFile ? (p) => Buffer.from(read(p)) : (p) => readFileSync(p)),
      parseEnvFile: parseDotenv,
    });
    return { spec, warnings };
  } catch (e) {
    if (e instanceof ConvertError) {
      const src =
        [...sources]
          .reverse()
          .find((s) => positionOf(s, e.keyPath) && s.positions.has(e.keyPath.slice(0, 2).join('.'))) ?? sources[0]!;
      throw new ComposeError(e.message, e.keyPath.join('.'), positionOf(src, e.keyPath));
    }
    throw e;
  }
}

function readDotenv(dir: string, read: (p: string) => string): Record<string, string> {
  try {
    return parseDotenv(read(resolve(dir, '.env')));
  } catch {
    return {};
  }
}
