// Images and registries: pull, push, login, logout.
import { UsageError, bool, onePositional, parseArgs, str } from '../args';
import { authHeaderFor, normalizeServer, removeAuth, saveAuth } from '../auth';
import { DaemonError } from '../client';
import { type Ctx, ExitError, err, out } from '../io';
import { pullImage, withDefaultTag } from '../pull';

export async function pull(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'all-tags', short: 'a', type: 'bool' },
    { name: 'platform', type: 'string' },
  ]);
  const ref = onePositional(p, '"pull" requires exactly 1 argument.');
  try {
    await pullImage(ctx, ref, { quiet: bool(p, 'quiet'), auth: authHeaderFor(ctx.io.env, ref) });
  } catch (e) {
    if (e instanceof DaemonError) throw new ExitError(`Error response from daemon: ${e.message}`, 1);
    throw e;
  }
  return 0;
}

export async function push(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'all-tags', short: 'a', type: 'bool' },
  ]);
  const ref = onePositional(p, '"push" requires exactly 1 argument.');
  const full = withDefaultTag(ref);
  const colon = full.lastIndexOf(':');
  const name = full.includes('@') ? full.slice(0, full.indexOf('@')) : full.slice(0, colon);
  const tagPart = full.includes('@') ? undefined : full.slice(colon + 1);
  const auth = authHeaderFor(ctx.io.env, ref);
  try {
    for await (const msg of ctx.client.jsonStream('POST', `/images/${name}/push`, {
      query: { tag: tagPart },
      headers: auth ? { 'X-Registry-Auth': auth } : {},
    })) {
      if (bool(p, 'quiet')) continue;
      if (msg.progressDetail && typeof msg.progress === 'string') continue;
      if (typeof msg.status === 'string') out(ctx, msg.id ? `${String(msg.id)}: ${msg.status}` : msg.status);
    }
  } catch (e) {
    if (e instanceof DaemonError) throw new ExitError(e.message, 1);
    throw e;
  }
  if (bool(p, 'quiet')) out(ctx, full);
  return 0;
}

async function readStdin(ctx: Ctx): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function login(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'username', short: 'u', type: 'string' },
    { name: 'password', short: 'p', type: 'string' },
    { name: 'password-stdin', type: 'bool' },
  ]);
  const server = normalizeServer(p.positionals[0]);
  const username = str(p, 'username');
  let password = str(p, 'password');
  if (bool(p, 'password-stdin')) {
    if (password !== undefined) throw new UsageError('--password and --password-stdin are mutually exclusive');
    if (!username) throw new UsageError('Must provide --username with --password-stdin');
    password = await readStdin(ctx);
  }
  if (!username || password === undefined)
    throw new ExitError('Error: Cannot perform an interactive login from a non TTY device', 1);
  if (str(p, 'password') !== undefined)
    err(ctx, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
  try {
    const res = await ctx.client.json<{ Status: string }>('POST', '/auth', {
      body: { username, password, serveraddress: server },
    });
    saveAuth(ctx.io.env, server, username, password);
    out(ctx, res?.Status || 'Login Succeeded');
  } catch (e) {
    if (e instanceof DaemonError) throw new ExitError(`Error response from daemon: ${e.message}`, 1);
    throw e;
  }
  return 0;
}

export async function logout(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  const server = normalizeServer(p.positionals[0]);
  if (removeAuth(ctx.io.env, server)) out(ctx, `Removing login credentials for ${server}`);
  else out(ctx, `Not logged in to ${server}`);
  return 0;
}
