// network, volume, inspect, version, info.
import { UsageError, bool, list, parseArgs, str } from '../args';
import { DaemonError } from '../client';
import { forEachArg } from '../each';
import { type Ctx, err, out } from '../io';
import { renderTable } from '../table';
import { renderTemplate } from '../template';
import { humanSize } from '../units';
import { prune } from './prune';

type Json = Record<string, unknown>;

const CLI_VERSION = '0.1.0';

function kv(items: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of items) {
    const eq = l.indexOf('=');
    o[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return o;
}

function printInspect(ctx: Ctx, objs: unknown[], format: string | undefined): void {
  if (format) for (const o of objs) out(ctx, renderTemplate(format, o));
  else out(ctx, JSON.stringify(objs, null, 4));
}

async function inspectEach(
  ctx: Ctx,
  ids: string[],
  fetch: (id: string) => Promise<unknown>,
  format: string | undefined,
  kind: string,
): Promise<number> {
  const found: unknown[] = [];
  let code = 0;
  for (const id of ids) {
    try {
      found.push(await fetch(id));
    } catch (e) {
      if (!(e instanceof DaemonError) || e.status !== 404) throw e;
      code = 1;
      err(ctx, `Error: No such ${kind}: ${id}`);
    }
  }
  if (found.length || !format) printInspect(ctx, found, format);
  return code;
}

export async function inspect(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'format', short: 'f', type: 'string' },
    { name: 'type', type: 'string' },
    { name: 'size', short: 's', type: 'bool' },
  ]);
  if (!p.positionals.length) throw new UsageError('"inspect" requires at least 1 argument.');
  const type = str(p, 'type');
  const tries: [string, (id: string) => Promise<unknown>][] = [
    ['container', (id) => ctx.client.json('GET', `/containers/${id}/json`)],
    ['image', (id) => ctx.client.json('GET', `/images/${id}/json`)],
    ['network', (id) => ctx.client.json('GET', `/networks/${id}`)],
    ['volume', (id) => ctx.client.json('GET', `/volumes/${id}`)],
  ];
  const found: unknown[] = [];
  let code = 0;
  for (const id of p.positionals) {
    let hit: unknown;
    for (const [kind, fetch] of tries) {
      if (type && type !== kind) continue;
      try {
        hit = await fetch(id);
        break;
      } catch (e) {
        if (!(e instanceof DaemonError) || (e.status !== 404 && e.status !== 400)) throw e;
      }
    }
    if (hit === undefined) {
      err(ctx, `Error: No such object: ${id}`);
      code = 1;
    } else found.push(hit);
  }
  if (found.length || !str(p, 'format')) printInspect(ctx, found, str(p, 'format'));
  return code;
}

export function containerInspect(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'format', short: 'f', type: 'string' },
    { name: 'size', short: 's', type: 'bool' },
  ]);
  return inspectEach(
    ctx,
    p.positionals,
    (id) => ctx.client.json('GET', `/containers/${id}/json`),
    str(p, 'format'),
    'container',
  );
}

export function imageInspect(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'format', short: 'f', type: 'string' }]);
  return inspectEach(
    ctx,
    p.positionals,
    (id) => ctx.client.json('GET', `/images/${id}/json`),
    str(p, 'format'),
    'image',
  );
}

export async function network(ctx: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create': {
      const p = parseArgs(rest, [
        { name: 'driver', short: 'd', type: 'string' },
        { name: 'subnet', type: 'list' },
        { name: 'gateway', type: 'list' },
        { name: 'internal', type: 'bool' },
        { name: 'attachable', type: 'bool' },
        { name: 'label', type: 'list' },
        { name: 'opt', short: 'o', type: 'list' },
      ]);
      if (p.positionals.length !== 1) throw new UsageError('"network create" requires exactly 1 argument.');
      const subnets = list(p, 'subnet');
      const gateways = list(p, 'gateway');
      const res = await ctx.client.json<{ Id: string }>('POST', '/networks/create', {
        body: {
          Name: p.positionals[0],
          Driver: str(p, 'driver') ?? 'bridge',
          Internal: bool(p, 'internal'),
          Attachable: bool(p, 'attachable'),
          Labels: kv(list(p, 'label')),
          Options: kv(list(p, 'opt')),
          IPAM: { Driver: 'default', Config: subnets.map((s, i) => ({ Subnet: s, Gateway: gateways[i] })) },
          CheckDuplicate: true,
        },
      });
      out(ctx, res.Id);
      return 0;
    }
    case 'ls':
    case 'list': {
      const p = parseArgs(rest, [
        { name: 'quiet', short: 'q', type: 'bool' },
        { name: 'format', type: 'string' },
        { name: 'no-trunc', type: 'bool' },
        { name: 'filter', short: 'f', type: 'list' },
      ]);
      const nets = await ctx.client.json<Json[]>('GET', '/networks');
      nets.sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
      const id = (n: Json) => (bool(p, 'no-trunc') ? String(n.Id) : String(n.Id).slice(0, 12));
      if (bool(p, 'quiet')) {
        for (const n of nets) out(ctx, id(n));
        return 0;
      }
      const rows = nets.map((n) => ({
        ID: id(n),
        Name: n.Name,
        Driver: n.Driver,
        Scope: n.Scope,
        IPv6: 'false',
        Internal: String(Boolean(n.Internal)),
        CreatedAt: n.Created,
        Labels: '',
      }));
      const format = str(p, 'format');
      if (format && format !== 'table') {
        for (const r of rows) out(ctx, renderTemplate(format, r));
        return 0;
      }
      ctx.io.stdout.write(
        renderTable(
          ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
          rows.map((r) => [r.ID, String(r.Name), String(r.Driver), String(r.Scope)]),
        ),
      );
      return 0;
    }
    case 'rm':
    case 'remove': {
      const p = parseArgs(rest, [{ name: 'force', short: 'f', type: 'bool' }]);
      return forEachArg(
        ctx,
        p.positionals,
        (n) => ctx.client.call('DELETE', `/networks/${n}`),
        '"network rm" requires at least 1 argument.',
      );
    }
    case 'inspect': {
      const p = parseArgs(rest, [
        { name: 'format', short: 'f', type: 'string' },
        { name: 'verbose', short: 'v', type: 'bool' },
      ]);
      return inspectEach(
        ctx,
        p.positionals,
        (id) => ctx.client.json('GET', `/networks/${id}`),
        str(p, 'format'),
        'network',
      );
    }
    default:
      throw new UsageError(
        sub ? `flotilla network: '${sub}' is not a flotilla command.` : 'Usage:  flotilla network COMMAND',
      );
  }
}

export async function volume(ctx: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create': {
      const p = parseArgs(rest, [
        { name: 'driver', short: 'd', type: 'string' },
        { name: 'label', type: 'list' },
        { name: 'opt', short: 'o', type: 'list' },
        { name: 'name', type: 'string' },
      ]);
      const v = await ctx.client.json<Json>('POST', '/volumes/create', {
        body: {
          Name: p.positionals[0] ?? str(p, 'name') ?? '',
          Driver: str(p, 'driver') ?? 'local',
          Labels: kv(list(p, 'label')),
          DriverOpts: kv(list(p, 'opt')),
        },
      });
      out(ctx, String(v.Name));
      return 0;
    }
    case 'ls':
    case 'list': {
      const p = parseArgs(rest, [
        { name: 'quiet', short: 'q', type: 'bool' },
        { name: 'format', type: 'string' },
        { name: 'filter', short: 'f', type: 'list' },
      ]);
      const res = await ctx.client.json<{ Volumes: Json[] | null }>('GET', '/volumes');
      const vols = (res.Volumes ?? []).sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
      if (bool(p, 'quiet')) {
        for (const v of vols) out(ctx, String(v.Name));
        return 0;
      }
      const format = str(p, 'format');
      if (format && format !== 'table') {
        for (const v of vols)
          out(
            ctx,
            renderTemplate(format, {
              Driver: v.Driver,
              Labels: '',
              Links: 'N/A',
              Mountpoint: v.Mountpoint,
              Name: v.Name,
              Scope: v.Scope ?? 'local',
              Size: 'N/A',
            }),
          );
        return 0;
      }
      ctx.io.stdout.write(
        renderTable(
          ['DRIVER', 'VOLUME NAME'],
          vols.map((v) => [String(v.Driver ?? 'local'), String(v.Name)]),
        ),
      );
      return 0;
    }
    case 'rm':
    case 'remove': {
      const p = parseArgs(rest, [{ name: 'force', short: 'f', type: 'bool' }]);
      return forEachArg(
        ctx,
        p.positionals,
        (n) => ctx.client.call('DELETE', `/volumes/${n}`, { query: { force: bool(p, 'force') } }),
        '"volume rm" requires at least 1 argument.',
      );
    }
    case 'inspect': {
      const p = parseArgs(rest, [{ name: 'format', short: 'f', type: 'string' }]);
      return inspectEach(
        ctx,
        p.positionals,
        (id) => ctx.client.json('GET', `/volumes/${id}`),
        str(p, 'format'),
        'volume',
      );
    }
    case 'prune':
      return prune(ctx, 'volume', rest);
    default:
      throw new UsageError(
        sub ? `flotilla volume: '${sub}' is not a flotilla command.` : 'Usage:  flotilla volume COMMAND',
      );
  }
}

export async function version(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'format', short: 'f', type: 'string' }]);
  const client = {
    Version: CLI_VERSION,
    ApiVersion: '1.41',
    GoVersion: `node ${process.version}`,
    Os: process.platform,
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
  };
  let server: Json | undefined;
  let failure: unknown;
  try {
    server = await ctx.client.json<Json>('GET', '/version');
  } catch (e) {
    failure = e;
  }
  const format = str(p, 'format');
  if (format) {
    out(ctx, renderTemplate(format, { Client: client, Server: server ?? null }));
  } else {
    out(
      ctx,
      `Client:\n Version:           ${client.Version}\n API version:       ${client.ApiVersion}\n Node version:      ${process.version}\n OS/Arch:           ${client.Os}/${client.Arch}\n`,
    );
    if (server) {
      out(
        ctx,
        `Server: flotilla engine\n Engine:\n  Version:          ${String(server.Version)}\n  API version:      ${String(server.ApiVersion)} (minimum version ${String(server.MinAPIVersion ?? '1.24')})\n  Node version:     ${String(server.GoVersion ?? '')}\n  OS/Arch:          ${String(server.Os)}/${String(server.Arch)}\n  Kernel Version:   ${String(server.KernelVersion ?? '')}`,
      );
    }
  }
  if (failure) throw failure;
  return 0;
}

export async function info(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'format', short: 'f', type: 'string' }]);
  const i = await ctx.client.json<Json>('GET', '/info');
  const format = str(p, 'format');
  if (format) {
    out(ctx, renderTemplate(format, i));
    return 0;
  }
  const lines = [
    'Client:',
    ` Version:    ${CLI_VERSION}`,
    '',
    'Server:',
    ` Containers: ${String(i.Containers)}`,
    `  Running: ${String(i.ContainersRunning)}`,
    `  Paused: ${String(i.ContainersPaused ?? 0)}`,
    `  Stopped: ${String(i.ContainersStopped)}`,
    ` Images: ${String(i.Images)}`,
    ` Server Version: ${String(i.ServerVersion)}`,
    ` Storage Driver: ${String(i.Driver)}`,
    ` Logging Driver: ${String(i.LoggingDriver ?? 'json-file')}`,
    ` Cgroup Driver: ${String(i.CgroupDriver ?? 'cgroupfs')}`,
    ` Cgroup Version: ${String(i.CgroupVersion ?? '2')}`,
    ` Default Runtime: ${String(i.DefaultRuntime ?? 'runc')}`,
    ...swarmLines(i.Swarm as Json | undefined),
    ` Kernel Version: ${String(i.KernelVersion)}`,
    ` Operating System: ${String(i.OperatingSystem)}`,
    ` OSType: ${String(i.OSType)}`,
    ` Architecture: ${String(i.Architecture)}`,
    ` CPUs: ${String(i.NCPU)}`,
    ` Total Memory: ${humanSize(Number(i.MemTotal ?? 0))}`,
    ` Name: ${String(i.Name)}`,
    ` ID: ${String(i.ID)}`,
    ` Flotilla Root Dir: ${String(i.DockerRootDir)}`,
  ];
  out(ctx, lines.join('\n'));
  return 0;
}

/** docker info's Swarm block: the state, and for members their node, role and cluster. */
function swarmLines(sw: Json | undefined): string[] {
  const state = String(sw?.LocalNodeState ?? 'inactive');
  if (state !== 'active') return [` Swarm: ${state}`];
  const lines = [
    ` Swarm: ${state}`,
    `  NodeID: ${String(sw?.NodeID)}`,
    `  Is Manager: ${String(Boolean(sw?.ControlAvailable))}`,
  ];
  if (sw?.ControlAvailable) {
    const c = sw.Cluster as
      | {
          ID?: string;
          DefaultAddrPool?: string[];
          SubnetSize?: number;
          Spec?: { Orchestration?: { TaskHistoryRetentionLimit?: number } };
        }
      | undefined;
    lines.push(
      `  ClusterID: ${String(c?.ID ?? '')}`,
      `  Managers: ${String(sw.Managers)}`,
      `  Nodes: ${String(sw.Nodes)}`,
    );
    if (c?.DefaultAddrPool)
      lines.push(`  Default Address Pool: ${c.DefaultAddrPool.join(' ')}`, `  SubnetSize: ${String(c.SubnetSize)}`);
    if (c?.Spec?.Orchestration)
      lines.push(
        '  Orchestration:',
        `   Task History Retention Limit: ${String(c.Spec.Orchestration.TaskHistoryRetentionLimit)}`,
      );
  }
  lines.push(`  Node Address: ${String(sw?.NodeAddr)}`);
  const managers = (sw?.RemoteManagers as { Addr: string }[] | null) ?? [];
  if (managers.length) lines.push('  Manager Addresses:', ...managers.map((m) => `   ${m.Addr}`));
  return lines;
}
