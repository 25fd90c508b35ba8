// Looking at a container: logs, port, stats, top.
import { UsageError, bool, onePositional, parseArgs, str } from '../args';
import { type Ctx, ExitError, out } from '../io';
import { demux } from '../stdcopy';
import { renderTable } from '../table';
import { renderRows } from '../template';

/** docker's column headers for the stats --format fields. */
const STATS_HEADERS = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};
import { parseTime } from '../time-flag';
import { humanSize } from '../units';

type Json = Record<string, unknown>;

export async function logs(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'follow', short: 'f', type: 'bool' },
    { name: 'tail', short: 'n', type: 'string' },
    { name: 'timestamps', short: 't', type: 'bool' },
    { name: 'since', type: 'string' },
    { name: 'until', type: 'string' },
    { name: 'details', type: 'bool' },
  ]);
  const id = onePositional(p, '"logs" requires exactly 1 argument.');
  const info = await ctx.client.json<Json>('GET', `/containers/${id}/json`);
  const tty = Boolean((info.Config as Json | undefined)?.Tty);
  const res = await ctx.client.raw('GET', `/containers/${id}/logs`, {
    query: {
      stdout: true,
      stderr: true,
      follow: bool(p, 'follow'),
      tail: str(p, 'tail') ?? 'all',
      timestamps: bool(p, 'timestamps'),
      since: parseTime(str(p, 'since')),
      until: parseTime(str(p, 'until')),
    },
  });
  await demux(res, ctx.io.stdout, ctx.io.stderr, tty);
  return 0;
}

export async function port(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  const [id, filter] = p.positionals;
  if (!id) throw new UsageError('"port" requires at least 1 argument.');
  const info = await ctx.client.json<Json>('GET', `/containers/${id}/json`);
  const ports = ((info.NetworkSettings as Json | undefined)?.Ports ?? {}) as Record<
    string,
    { HostIp: string; HostPort: string }[] | null
  >;
  const want = filter ? (filter.includes('/') ? filter : `${filter}/tcp`) : undefined;
  let found = false;
  for (const [k, bindings] of Object.entries(ports)) {
    if (want && k !== want) continue;
    for (const b of bindings ?? []) {
      found = true;
      const hostIp = b.HostIp || '0.0.0.0';
      out(ctx, want ? `${hostIp}:${b.HostPort}` : `${k} -> ${hostIp}:${b.HostPort}`);
    }
  }
  if (want && !found) throw new ExitError(`Error: No public port '${want}' published for ${id}`, 1);
  return 0;
}

function cpuPercent(s: Json): number {
  const cpu = s.cpu_stats as Json | undefined;
  const pre = s.precpu_stats as Json | undefined;
  const total =
    Number((cpu?.cpu_usage as Json | undefined)?.total_usage ?? 0) -
    Number((pre?.cpu_usage as Json | undefined)?.total_usage ?? 0);
  const sys = Number(cpu?.system_cpu_usage ?? 0) - Number(pre?.system_cpu_usage ?? 0);
  const n = Number(cpu?.online_cpus ?? 1);
  return sys > 0 && total > 0 ? (total / sys) * n * 100 : 0;
}

export async function stats(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'no-stream', type: 'bool' },
    { name: 'all', short: 'a', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'no-trunc', type: 'bool' },
  ]);
  let ids = p.positionals;
  if (ids.length === 0)
    ids = (await ctx.client.json<Json[]>('GET', '/containers/json', { query: { all: bool(p, 'all') } })).map((c) =>
      String(c.Id),
    );
  const rows: Json[] = [];
  for (const id of ids) {
    const s = await ctx.client.json<Json>('GET', `/containers/${id}/stats`, { query: { stream: false } });
    const mem = s.memory_stats as Json | undefined;
    const usage = Number(mem?.usage ?? 0);
    const limit = Number(mem?.limit ?? 0);
    const pids = Number((s.pids_stats as Json | undefined)?.current ?? 0);
    const nets = Object.values((s.networks as Record<string, Json> | undefined) ?? {});
    const rx = nets.reduce((a, n) => a + Number(n.rx_bytes ?? 0), 0);
    const tx = nets.reduce((a, n) => a + Number(n.tx_bytes ?? 0), 0);
    const binUnits = (b: number) => {
      const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let i = 0;
      while (b >= 1024 && i < u.length - 1) {
        b /= 1024;
        i++;
      }
      return `${Number(b.toPrecision(3))}${u[i]}`;
    };
    rows.push({
      Container: String(s.id ?? id).slice(0, 12),
      ID: String(s.id ?? id).slice(0, 12),
      Name: String(s.name ?? '').replace(/^\//, ''),
      CPUPerc: `${cpuPercent(s).toFixed(2)}%`,
      MemUsage: `${binUnits(usage)} / ${binUnits(limit)}`,
      MemPerc: `${(limit ? (usage / limit) * 100 : 0).toFixed(2)}%`,
      NetIO: `${humanSize(rx)} / ${humanSize(tx)}`,
      BlockIO: '0B / 0B',
      PIDs: String(pids),
    });
  }
  const format = str(p, 'format');
  if (format && format !== 'table') {
    ctx.io.stdout.write(renderRows(format, rows, STATS_HEADERS));
    return 0;
  }
  ctx.io.stdout.write(
    renderTable(
      ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'],
      rows.map((r) => [r.ID, r.Name, r.CPUPerc, r.MemUsage, r.MemPerc, r.NetIO, r.BlockIO, r.PIDs].map(String)),
    ),
  );
  return 0;
}

export async function top(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [], { interspersed: false });
  const [id, ...psArgs] = p.positionals;
  if (!id) throw new UsageError('"top" requires at least 1 argument.');
  const t = await ctx.client.json<{ Titles: string[]; Processes: string[][] }>('GET', `/containers/${id}/top`, {
    query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined },
  });
  ctx.io.stdout.write(renderTable(t.Titles, t.Processes));
  return 0;
}
