// Image commands: build, images, rmi, tag, save, load, import, pull, push, login, logout, history.
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UsageError, bool, list, parseArgs, str } from '../args';
import { authHeaderFor, normalizeServer, removeAuth, saveAuth } from '../auth';
import { DaemonError } from '../client';
import { contextFiles, contextTar, dockerfileInContext } from '../context';
import { forEachArg } from '../each';
import { type Ctx, ExitError, err, out } from '../io';
import { pullImage, withDefaultTag } from '../pull';
import { renderTable } from '../table';
import { renderTableFormat, renderTemplate } from '../template';
import { ago, humanSize } from '../units';

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
  if (p.positionals.length !== 1) throw new UsageError('"build" requires exactly 1 argument.');
  const dir = resolve(ctx.io.cwd, p.positionals[0]!);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ExitError(`unable to prepare context: path "${p.positionals[0]!}" not found`, 1);
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

function imageRows(images: Json[], all: boolean): Json[] {
  const rows: Json[] = [];
  for (const img of images) {
    const tags = ((img.RepoTags as string[] | null) ?? []).filter((t) => t !== '<none>:<none>');
    const digests = (img.RepoDigests as string[] | null) ?? [];
    const base = {
      Containers: img.Containers === -1 || img.Containers === undefined ? 'N/A' : String(img.Containers),
      CreatedAt: new Date(Number(img.Created) * 1000)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' +0000 UTC'),
      CreatedSince: ago(Number(img.Created) * 1000),
      ID: String(img.Id)
        .replace(/^sha256:/, '')
        .slice(0, 12),
      SharedSize: 'N/A',
      Size: humanSize(Number(img.Size ?? 0)),
      UniqueSize: 'N/A',
      VirtualSize: humanSize(Number(img.VirtualSize ?? img.Size ?? 0)),
    };
    if (tags.length === 0) {
      if (!all && (img.ParentId as string | undefined)) continue;
      rows.push({ ...base, Repository: '<none>', Tag: '<none>', Digest: digests[0]?.split('@')[1] ?? '<none>' });
      continue;
    }
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      const repo = t.slice(0, colon);
      const digest = digests.find((d) => d.startsWith(`${repo}@`))?.split('@')[1] ?? '<none>';
      rows.push({ ...base, Repository: repo, Tag: t.slice(colon + 1), Digest: digest });
    }
  }
  return rows;
}

export async function images(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'all', short: 'a', type: 'bool' },
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'no-trunc', type: 'bool' },
    { name: 'digests', type: 'bool' },
    { name: 'filter', short: 'f', type: 'list' },
  ]);
  const filters: Record<string, string[]> = {};
  for (const f of list(p, 'filter')) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError('bad format of filter (expected name=value)');
    (filters[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  if (p.positionals[0]) (filters.reference ??= []).push(p.positionals[0]);
  const list_ = await ctx.client.json<Json[]>('GET', '/images/json', {
    query: { all: bool(p, 'all'), filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
  });
  list_.sort((a, b) => Number(b.Created) - Number(a.Created));
  const noTrunc = bool(p, 'no-trunc');
  if (bool(p, 'quiet')) {
    const seen = new Set<string>();
    for (const img of list_) {
      const id = noTrunc
        ? String(img.Id)
        : String(img.Id)
            .replace(/^sha256:/, '')
            .slice(0, 12);
      if (!seen.has(id)) out(ctx, id);
      seen.add(id);
    }
    return 0;
  }
  const rows = imageRows(list_, bool(p, 'all'));
  const format = str(p, 'format');
  if (format && format !== 'table') {
    const table = renderTableFormat(format, rows, {
      Repository: 'REPOSITORY',
      Tag: 'TAG',
      ID: 'IMAGE ID',
      CreatedSince: 'CREATED',
      CreatedAt: 'CREATED AT',
      Size: 'SIZE',
      Digest: 'DIGEST',
    });
    if (table !== undefined) ctx.io.stdout.write(table);
    else for (const r of rows) out(ctx, renderTemplate(format, r));
    return 0;
  }
  const digests = bool(p, 'digests');
  const header = digests
    ? ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE']
    : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
  ctx.io.stdout.write(
    renderTable(
      header,
      rows.map((r) => {
        const id = noTrunc ? `sha256:${String(r.ID)}` : String(r.ID);
        const cells = [String(r.Repository), String(r.Tag), id, String(r.CreatedSince), String(r.Size)];
        if (digests) cells.splice(2, 0, String(r.Digest));
        return cells;
      }),
    ),
  );
  return 0;
}

export async function rmi(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'force', short: 'f', type: 'bool' },
    { name: 'no-prune', type: 'bool' },
  ]);
  return forEachArg(
    ctx,
    p.positionals,
    async (ref) => {
      const res = await ctx.client.json<{ Untagged?: string; Deleted?: string }[]>('DELETE', `/images/${ref}`, {
        query: { force: bool(p, 'force'), noprune: bool(p, 'no-prune') },
      });
      return (res ?? []).flatMap((r) => [
        ...(r.Untagged ? [`Untagged: ${r.Untagged}`] : []),
        ...(r.Deleted ? [`Deleted: ${r.Deleted}`] : []),
      ]);
    },
    '"rmi" requires at least 1 argument.',
  );
}

export async function tag(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  if (p.positionals.length !== 2) throw new UsageError('"tag" requires exactly 2 arguments.');
  const [src, target] = p.positionals as [string, string];
  const full = withDefaultTag(target);
  const colon = full.lastIndexOf(':');
  await ctx.client.call('POST', `/images/${src}/tag`, {
    query: { repo: full.slice(0, colon), tag: full.slice(colon + 1) },
  });
  return 0;
}

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

export async function pull(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'all-tags', short: 'a', type: 'bool' },
    { name: 'platform', type: 'string' },
  ]);
  if (p.positionals.length !== 1) throw new UsageError('"pull" requires exactly 1 argument.');
  const ref = p.positionals[0]!;
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
  if (p.positionals.length !== 1) throw new UsageError('"push" requires exactly 1 argument.');
  const ref = p.positionals[0]!;
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

export async function history(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'no-trunc', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'human', short: 'H', type: 'bool' },
  ]);
  if (p.positionals.length !== 1) throw new UsageError('"history" requires exactly 1 argument.');
  const h = await ctx.client.json<Json[]>('GET', `/images/${p.positionals[0]!}/history`);
  const format = str(p, 'format');
  if (format && format !== 'table') {
    for (const r of h) out(ctx, renderTemplate(format, r));
    return 0;
  }
  ctx.io.stdout.write(
    renderTable(
      ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
      h.map((r) => [
        String(r.Id ?? '<missing>')
          .replace(/^sha256:/, '')
          .slice(0, 12) || '<missing>',
        ago(Number(r.Created) * 1000),
        bool(p, 'no-trunc') ? String(r.CreatedBy ?? '') : String(r.CreatedBy ?? '').slice(0, 45),
        humanSize(Number(r.Size ?? 0)),
        String(r.Comment ?? ''),
      ]),
    ),
  );
  return 0;
}
