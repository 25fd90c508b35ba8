// version and info: the client's and the daemon's versions, docker's info text.
import { parseArgs, str } from '../args';
import { type Ctx, out } from '../io';
import { renderTemplate } from '../template';
import { humanSize } from '../units';

type Json = Record<string, unknown>;

const CLI_VERSION = '0.1.0';

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
