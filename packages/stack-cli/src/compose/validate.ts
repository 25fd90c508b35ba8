import type { z } from 'zod';
import { ComposeError } from './errors';
import { composeSchema, type ComposeFile, UNSUPPORTED_SERVICE_KEYS } from './schema';
import { positionOf, type ComposeSource } from './source';

type Issue = z.core.$ZodIssue;

/** Validates one parsed file; the first problem becomes a ComposeError with file:line:col. */
export function validateSource(src: ComposeSource): ComposeFile {
  if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
    throw new ComposeError('a compose file must be a mapping with a services: key', '', {
      file: src.file,
      line: 1,
      col: 1,
    });
  }
  const r = composeSchema.safeParse(src.value);
  if (r.success) return r.data;
  const issue = mostSpecific(r.error.issues);
  if (issue.code === 'unrecognized_keys') {
    const path = [...issue.path.map(String), issue.keys[0]!];
    throw new ComposeError(
      `additional property ${issue.keys[0]} is not allowed`,
      path.join('.'),
      positionOf(src, path, 'key'),
    );
  }
  const path = issue.path.map(String);
  throw new ComposeError(describe(issue), path.join('.'), positionOf(src, path));
}

/** For a union, report the branch that got furthest into the value. */
function mostSpecific(issues: Issue[]): Issue {
  let best = issues[0]!; // a failed parse has at least one issue, and `deeper` below is non-empty
  for (const i of issues) if (i.path.length > best.path.length) best = i;
  if (best.code === 'invalid_union' && best.errors.length) {
    const inner = best.errors.flat().map((e) => ({ ...e, path: [...best.path, ...e.path] }) as Issue);
    const deeper = inner.filter((e) => e.path.length > best.path.length && e.code !== 'invalid_type');
    if (deeper.length) return mostSpecific(deeper);
    const types = [
      ...new Set(inner.filter((e) => e.code === 'invalid_type').map((e) => (e as { expected: string }).expected)),
    ];
    if (types.length) return { ...best, message: `expected ${types.join(' or ')}` };
  }
  return best;
}

function describe(issue: Issue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}, got ${received(issue)}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

function received(issue: Issue): string {
  const m = /received (\w+)/.exec(issue.message);
  return m ? m[1]! : 'something else';
}

/** docker's warning for compose keys a swarm stack ignores. */
export function unsupportedWarnings(file: ComposeFile): string[] {
  const found = new Set<string>();
  for (const svc of Object.values(file.services ?? {})) {
    for (const k of UNSUPPORTED_SERVICE_KEYS)
      if (svc && (svc as Record<string, unknown>)[k] !== undefined) found.add(k);
  }
  return found.size ? [`Ignoring unsupported options: ${[...found].sort().join(', ')}`] : [];
}
