// flotilla secret | config: create, ls, inspect, rm (docker's commands) and update (flotilla's
// in-place data change: a new data version, and the services that use it roll onto it).
import type { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError, bool, list, parseArgs, str } from '../args';
import { DaemonError } from '../client';
import { forEachArg } from '../each';
import { type Ctx, ExitError, out } from '../io';
import { keyValues } from '../key-values';
import { inspectEach } from './object-inspect';
import { type ApiFileObject, type ObjectKind, listRows, prettyInspect, renderList } from './file-object-format';

/** swarmkit's data limits; like docker's CLI we read at most twice that, the daemon enforces them. */
const MAX_DATA: Record<ObjectKind, number> = { secret: 500 * 1024, config: 1000 * 1024 };

async function readLimited(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer | string>) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    chunks.push(b);
    n += b.length;
    if (n >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/** docker's readSecretData/readConfigData: FILE or - (stdin), never empty. */
export async function readObjectData(ctx: Ctx, kind: ObjectKind, file: string | undefined): Promise<Buffer> {
  const limit = 2 * MAX_DATA[kind];
  if (file === undefined || file === '') throw new ExitError(`${kind} file is required`, 1);
  let data: Buffer;
  const from = file === '-' ? 'STDIN' : file;
  try {
    data = file === '-' ? await readLimited(ctx.io.stdin, limit) : await readFile(resolve(ctx.io.cwd, file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `open ${file}: no such file or directory` : (e as Error).message;
    throw new ExitError(`error reading from ${from}: ${why}`, 1);
  }
  if (data.length === 0) throw new ExitError(`error reading from ${from}: data is empty`, 1);
  return data.subarray(0, limit);
}

async function getObject(ctx: Ctx, kind: ObjectKind, ref: string): Promise<ApiFileObject> {
  try {
    return await ctx.client.json<ApiFileObject>('GET', `/${kind}s/${encodeURIComponent(ref)}`);
  } catch (e) {
    if (e instanceof DaemonError && e.status === 404) throw new ExitError(`Error: no such ${kind}: ${ref}`, 1);
    throw e;
  }
}

async function create(ctx: Ctx, kind: ObjectKind, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'label', short: 'l', type: 'list' },
    { name: 'template-driver', type: 'string' },
    ...(kind === 'secret' ? [{ name: 'driver', short: 'd', type: 'string' as const }] : []),
  ]);
  const n = p.positionals.length;
  if (kind === 'secret' && (n < 1 || n > 2))
    throw new UsageError(`"flotilla secret create" requires at least 1 and at most 2 arguments.`);
  if (kind === 'config' && n !== 2) throw new UsageError(`"flotilla config create" requires exactly 2 arguments.`);
  const [name, file] = p.positionals as [string, string | undefined];
  if (str(p, 'driver') !== undefined)
    throw new ExitError(
      `secret drivers are not supported by flotilla ("--driver ${str(p, 'driver')}"): the data is kept in the swarm's encrypted store; give it as a file or - (stdin)`,
      1,
    );
  const templating = str(p, 'template-driver');
  if (templating !== undefined && templating !== 'golang')
    throw new ExitError(`unsupported template driver "${templating}": flotilla supports golang`, 1);
  let data: Buffer;
  try {
    data = await readObjectData(ctx, kind, file);
  } catch (e) {
    // docker's config create wraps the reason: error reading content from "FILE": ...
    if (kind === 'config' && e instanceof ExitError)
      throw new ExitError(`error reading content from "${file}": ${e.message}`, 1);
    throw e;
  }
  const spec = {
    Name: name,
    Labels: keyValues(list(p, 'label')),
    Data: data.toString('base64'),
    ...(templating ? { Templating: { Name: templating } } : {}),
  };
  const r = await ctx.client.json<{ ID: string }>('POST', `/${kind}s/create`, { body: spec });
  out(ctx, r.ID);
  return 0;
}

async function ls(ctx: Ctx, kind: ObjectKind, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'filter', short: 'f', type: 'list' },
  ]);
  if (p.positionals.length) throw new UsageError(`"flotilla ${kind} ls" accepts no arguments.`);
  const filters: Record<string, string[]> = {};
  for (const f of list(p, 'filter')) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
    (filters[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  const objs = await ctx.client.json<ApiFileObject[]>('GET', `/${kind}s`, {
    query: Object.keys(filters).length ? { filters: JSON.stringify(filters) } : undefined,
  });
  ctx.io.stdout.write(renderList(kind, listRows(kind, objs), { quiet: bool(p, 'quiet'), format: str(p, 'format') }));
  return 0;
}

async function inspect(ctx: Ctx, kind: ObjectKind, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'format', short: 'f', type: 'string' },
    { name: 'pretty', type: 'bool' },
  ]);
  if (!p.positionals.length) throw new UsageError(`"flotilla ${kind} inspect" requires at least 1 argument.`);
  const format = bool(p, 'pretty') ? 'pretty' : str(p, 'format');
  if (format?.startsWith('pretty') && format !== 'pretty')
    throw new ExitError('cannot supply extra formatting options to the pretty template', 1);
  const fetch = (ref: string) => ctx.client.json<ApiFileObject>('GET', `/${kind}s/${encodeURIComponent(ref)}`);
  if (format !== 'pretty') return inspectEach(ctx, p.positionals, fetch, format, kind);
  for (const ref of p.positionals) ctx.io.stdout.write(prettyInspect(kind, await getObject(ctx, kind, ref)));
  return 0;
}

async function rm(ctx: Ctx, kind: ObjectKind, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  return forEachArg(
    ctx,
    p.positionals,
    (name) => ctx.client.call('DELETE', `/${kind}s/${encodeURIComponent(name)}`),
    `"flotilla ${kind} rm" requires at least 1 argument.`,
  );
}

type ServiceRefs = {
  ID: string;
  Spec: {
    Name: string;
    TaskTemplate: { ContainerSpec: { Secrets?: { SecretID: string }[]; Configs?: { ConfigID: string }[] } };
  };
};

/** The names of the services whose spec uses the object. */
export async function servicesUsing(ctx: Ctx, kind: ObjectKind, id: string): Promise<string[]> {
  const services = await ctx.client.json<ServiceRefs[]>('GET', '/services');
  return services
    .filter((s) => {
      const cs = s.Spec.TaskTemplate.ContainerSpec;
      return kind === 'secret'
        ? cs.Secrets?.some((r) => r.SecretID === id)
        : cs.Configs?.some((r) => r.ConfigID === id);
    })
    .map((s) => s.Spec.Name)
    .sort();
}

/** What `update` did, in words: the data version and the services that roll. */
export function describeUpdate(
  kind: ObjectKind,
  name: string,
  before: number | undefined,
  after: number | undefined,
  services: string[],
): string[] {
  const using = services.length
    ? `${services.length === 1 ? 'service' : 'services'} ${services.join(', ')} ${services.length === 1 ? 'rolls' : 'roll'} onto it through ${services.length === 1 ? 'its' : 'their'} update_config (follow with "flotilla service ps")`
    : 'no service uses it';
  if (before === undefined || after === undefined) return [`Updated ${kind} ${name}`, `In use: ${using}`];
  if (after === before)
    return [
      `${kind === 'secret' ? 'Secret' : 'Config'} ${name} is unchanged: the data is the same as data version ${after}`,
    ];
  return [`Updated ${kind} ${name}: data version ${before} -> ${after}`, `In use: ${using}`];
}

async function update(ctx: Ctx, kind: ObjectKind, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  if (p.positionals.length !== 2) throw new UsageError(`"flotilla ${kind} update" requires exactly 2 arguments.`);
  const [ref, file] = p.positionals as [string, string];
  const data = await readObjectData(ctx, kind, file);
  const cur = await getObject(ctx, kind, ref);
  const spec = { ...cur.Spec, Data: data.toString('base64') };
  await ctx.client.call('POST', `/${kind}s/${cur.ID}/update`, { query: { version: cur.Version.Index }, body: spec });
  const now = await getObject(ctx, kind, cur.ID);
  const services = await servicesUsing(ctx, kind, cur.ID);
  for (const line of describeUpdate(kind, cur.Spec.Name, cur.DataVersion, now.DataVersion, services)) out(ctx, line);
  return 0;
}

const COMMANDS: Record<string, (ctx: Ctx, kind: ObjectKind, argv: string[]) => Promise<number>> = {
  create,
  ls,
  list: ls,
  inspect,
  rm,
  remove: rm,
  update,
};

function usage(kind: ObjectKind): string {
  const K = kind === 'secret' ? 'secret' : 'config';
  return `Usage:  flotilla ${kind} COMMAND\n\nManage Swarm ${kind}s\n\nCommands:\n  create      Create a ${K} from a file or STDIN as content\n  inspect     Display detailed information on one or more ${K}s\n  ls          List ${K}s\n  rm          Remove one or more ${K}s\n  update      Replace a ${K}'s data in place; the services using it roll onto it (flotilla)`;
}

/** `flotilla secret create --help`: the usage line and options of one subcommand. */
export function subcommandHelp(kind: ObjectKind, sub: string): string {
  const K = kind.toUpperCase();
  const fmt = '      --format string   Format output using a custom template (json: one JSON object per line)\n';
  const help: Record<string, string> = {
    create: `create [OPTIONS] ${K} ${kind === 'secret' ? '[file|-]' : 'file|-'}\n\nCreate a ${kind} from a file or STDIN as content\n\nOptions:\n  -l, --label list               ${kind === 'secret' ? 'Secret' : 'Config'} labels\n      --template-driver string   Template driver (golang)\n`,
    ls: `ls [OPTIONS]\n\nList ${kind}s\n\nOptions:\n  -f, --filter filter   Filter output based on conditions provided\n${fmt}  -q, --quiet           Only display IDs\n`,
    inspect: `inspect [OPTIONS] ${K} [${K}...]\n\nDisplay detailed information on one or more ${kind}s\n\nOptions:\n  -f, --format string   Format output using a custom template\n      --pretty          Print the information in a human friendly format\n`,
    rm: `rm ${K} [${K}...]\n\nRemove one or more ${kind}s\n`,
    update: `update ${K} file|-\n\nReplace the ${kind}'s data in place (a flotilla extension): the ${kind} gets a new data version and\nevery service that uses it rolls onto it through its update_config.\n`,
  };
  const text = help[sub === 'list' ? 'ls' : sub === 'remove' ? 'rm' : sub] ?? '';
  return `\nUsage:  flotilla ${kind} ${text}`;
}

async function run(ctx: Ctx, kind: ObjectKind, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const cmd = sub ? COMMANDS[sub] : undefined;
  if (!cmd) throw new UsageError(sub ? `flotilla ${kind}: '${sub}' is not a flotilla command.` : usage(kind));
  if (rest.includes('--help') || rest.includes('-h')) {
    out(ctx, subcommandHelp(kind, sub!));
    return 0;
  }
  return cmd(ctx, kind, rest);
}

export const secret = (ctx: Ctx, argv: string[]): Promise<number> => run(ctx, 'secret', argv);
export const config = (ctx: Ctx, argv: string[]): Promise<number> => run(ctx, 'config', argv);
