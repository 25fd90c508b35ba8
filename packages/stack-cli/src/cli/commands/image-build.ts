// build: the context sent as a tar to /build, the daemon's build output shown as it comes.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { bool, list, onePositional, parseArgs, str } from '../args';
import { DaemonError } from '../client';
import { contextFiles, contextTar, dockerfileInContext } from '../context';
import { type Ctx, ExitError, out } from '../io';
import { humanSize } from '../units';

type Json = Record<string, unknown>;

export async function build(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'tag', short: 't', type: 'list' },
    { name: 'file', short: 'f', type: 'string' },
    { name: 'build-arg', type: 'list' },
    { name: 'no-cache', type: 'bool' },
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'label', type: 'list' },
    { name: 'target', type: 'string' },
    { name: 'pull', type: 'bool' },
    { name: 'rm', type: 'bool' },
    { name: 'force-rm', type: 'bool' },
    { name: 'network', type: 'string' },
    { name: 'progress', type: 'string' },
  ]);
  const path = onePositional(p, '"build" requires exactly 1 argument.');
  const dir = resolve(ctx.io.cwd, path);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ExitError(`unable to prepare context: path "${path}" not found`, 1);
  let dockerfile: string;
  try {
    dockerfile = dockerfileInContext(dir, ctx.io.cwd, str(p, 'file'));
  } catch (e) {
    throw new ExitError((e as Error).message, 1);
  }
  if (!existsSync(resolve(dir, dockerfile)))
    throw new ExitError(
      `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${resolve(dir, dockerfile)}: no such file or directory`,
      1,
    );
  const buildArgs: Record<string, string> = {};
  for (const a of list(p, 'build-arg')) {
    const eq = a.indexOf('=');
    if (eq < 0) {
      const v = ctx.io.env[a];
      if (v !== undefined) buildArgs[a] = v;
    } else buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const labels: Record<string, string> = {};
  for (const l of list(p, 'label')) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  const quiet = bool(p, 'quiet');
  const files = contextFiles(dir, dockerfile);
  if (!quiet)
    out(
      ctx,
      `Sending build context to flotilla daemon  ${humanSize(files.reduce((a, f) => a + (statSync(resolve(dir, f)).isFile() ? statSync(resolve(dir, f)).size : 0), 0))}`,
    );
  let id = '';
  try {
    for await (const msg of ctx.client.jsonStream('POST', '/build', {
      query: {
        t: list(p, 'tag'),
        dockerfile,
        buildargs: JSON.stringify(buildArgs),
        labels: JSON.stringify(labels),
        nocache: bool(p, 'no-cache'),
        target: str(p, 'target'),
        pull: bool(p, 'pull'),
        q: quiet,
      },
      stream: contextTar(dir, files),
      headers: { 'Content-Type': 'application/x-tar' },
    })) {
      const aux = msg.aux as Json | undefined;
      if (aux && typeof aux.ID === 'string') id = aux.ID;
      if (quiet) continue;
      if (typeof msg.stream === 'string') ctx.io.stdout.write(msg.stream);
      else if (typeof msg.status === 'string') out(ctx, msg.status);
    }
  } catch (e) {
    if (e instanceof DaemonError)
      throw new ExitError(e.status === 500 ? e.message : `Error response from daemon: ${e.message}`, 1);
    throw e;
  }
  if (quiet) out(ctx, id);
  return 0;
}
