// Images as tar archives: save, load and import.
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UsageError, bool, list, parseArgs, str } from '../args';
import { DaemonError } from '../client';
import { type Ctx, ExitError, out } from '../io';
import { withDefaultTag } from '../pull';

export async function save(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'output', short: 'o', type: 'string' }]);
  if (!p.positionals.length) throw new UsageError('"save" requires at least 1 argument.');
  const output = str(p, 'output');
  if (!output && (ctx.io.stdout as { isTTY?: boolean }).isTTY)
    throw new ExitError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
  const res = await ctx.client.raw('GET', '/images/get', { query: { names: p.positionals } });
  if (output) await pipeline(res, createWriteStream(resolve(ctx.io.cwd, output)));
  else await pipeline(res, ctx.io.stdout, { end: false });
  return 0;
}

function inputStream(ctx: Ctx, file: string | undefined): Readable {
  if (!file || file === '-') return ctx.io.stdin;
  const path = resolve(ctx.io.cwd, file);
  if (!existsSync(path)) throw new ExitError(`open ${file}: no such file or directory`, 1);
  return createReadStream(path);
}

export async function load(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'input', short: 'i', type: 'string' },
    { name: 'quiet', short: 'q', type: 'bool' },
  ]);
  const body = inputStream(ctx, str(p, 'input'));
  try {
    for await (const msg of ctx.client.jsonStream('POST', '/images/load', {
      query: { quiet: bool(p, 'quiet') },
      stream: body,
      headers: { 'Content-Type': 'application/x-tar' },
    })) {
      if (typeof msg.stream === 'string') ctx.io.stdout.write(msg.stream);
    }
  } catch (e) {
    if (e instanceof DaemonError) throw new ExitError(`Error response from daemon: ${e.message}`, 1);
    throw e;
  }
  return 0;
}

export async function importImage(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'change', short: 'c', type: 'list' },
    { name: 'message', short: 'm', type: 'string' },
    { name: 'platform', type: 'string' },
  ]);
  const [file, ref] = p.positionals;
  if (!file) throw new UsageError('"import" requires at least 1 argument.');
  let repo: string | undefined;
  let t: string | undefined;
  if (ref) {
    const full = withDefaultTag(ref);
    const colon = full.lastIndexOf(':');
    repo = full.slice(0, colon);
    t = full.slice(colon + 1);
  }
  const body = inputStream(ctx, file);
  let id = '';
  try {
    for await (const msg of ctx.client.jsonStream('POST', '/images/create', {
      query: { fromSrc: '-', repo, tag: t, changes: list(p, 'change'), message: str(p, 'message') },
      stream: body,
      headers: { 'Content-Type': 'application/x-tar' },
    })) {
      if (typeof msg.status === 'string') id = msg.status;
    }
  } catch (e) {
    if (e instanceof DaemonError) throw new ExitError(`Error response from daemon: ${e.message}`, 1);
    throw e;
  }
  out(ctx, id);
  return 0;
}
