// Container commands: run, create, start, ps, logs, exec, stop, kill, restart, rm, port, stats, top, wait.
import { UsageError, bool, list, parseArgs, str } from '../args';
import { authHeaderFor } from '../auth';
import { DaemonError } from '../client';
import { forEachArg } from '../each';
import { type Ctx, ExitError, err, out } from '../io';
import { pullImage, withDefaultTag } from '../pull';
import { RUN_FLAGS, buildRunConfig } from '../run-config';
import { demux } from '../stdcopy';
import { ellipsis, renderTable } from '../table';
import { renderTableFormat, renderTemplate } from '../template';
import { humanDuration, humanSize } from '../units';

type Json = Record<string, unknown>;

/** docker run's exit code for a start failure: 127 command not found, 126 cannot invoke, else 125. */
export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message))
    return 127;
  if (/permission denied|not a directory/i.test(message) && /exec/.test(message)) return 126;
  return 125;
}

/** docker's run errors end with one period. */
function sentence(m: string): string {
  return m.endsWith('.') ? m : `${m}.`;
}

function isNoSuchImage(e: unknown): boolean {
  return (
    e instanceof DaemonError &&
    e.status === 404 &&
    /no such image|not found|does not exist|pull access denied/i.test(e.message) &&
    !/container/i.test(e.message)
  );
}

async function createContainer(
  ctx: Ctx,
  name: string | undefined,
  body: Json,
  pull: string | undefined,
): Promise<string> {
  const create = () =>
    ctx.client.json<{ Id: string; Warnings?: string[] }>('POST', '/containers/create', { query: { name }, body });
  const image = String(body.Image);
  const auth = authHeaderFor(ctx.io.env, image);
  if (pull === 'always') await pullImage(ctx, image, { toStderr: true, auth });
  let res: { Id: string; Warnings?: string[] };
  try {
    res = await create();
  } catch (e) {
    if (!isNoSuchImage(e) || pull === 'never') throw e;
    err(ctx, `Unable to find image '${withDefaultTag(image)}' locally`);
    await pullImage(ctx, image, { toStderr: true, auth });
    res = await create();
  }
  for (const w of res.Warnings ?? []) err(ctx, `WARNING: ${w}`);
  return res.Id;
}

/** Copy the container's output to our stdout/stderr until it ends. */
async function streamOutput(ctx: Ctx, id: string, tty: boolean): Promise<void> {
  const res = await ctx.client.raw('GET', `/containers/${id}/logs`, {
    query: { follow: true, stdout: true, stderr: true },
  });
  await demux(res, ctx.io.stdout, ctx.io.stderr, tty);
}

async function attachInteractive(ctx: Ctx, id: string, tty: boolean): Promise<{ done: Promise<void> }> {
  const { socket, head } = await ctx.client.hijack(`/containers/${id}/attach`, {
    query: { stream: true, stdin: true, stdout: true, stderr: true },
  });
  const stdin = ctx.io.stdin;
  stdin.on('data', (d: Buffer) => socket.write(d));
  stdin.on('end', () => socket.end());
  return {
    done: demux(socket, ctx.io.stdout, ctx.io.stderr, tty, head).finally(() => {
      stdin.pause();
    }),
  };
}

export async function run(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, RUN_FLAGS, { interspersed: false });
  let cfg;
  try {
    cfg = buildRunConfig(p, ctx.io.env, ctx.io.cwd);
  } catch (e) {
    if (e instanceof UsageError) throw new ExitError(`${e.message}\nSee 'flotilla run --help'.`, e.exitCode);
    throw e;
  }
  let id: string;
  try {
    id = await createContainer(ctx, cfg.name, cfg.body, str(p, 'pull'));
  } catch (e) {
    if (e instanceof DaemonError)
      throw new ExitError(
        `flotilla: Error response from daemon: ${sentence(e.message)}\nSee 'flotilla run --help'.`,
        125,
      );
    throw e;
  }
  if (cfg.detach) {
    try {
      await ctx.client.call('POST', `/containers/${id}/start`);
    } catch (e) {
      if (e instanceof DaemonError)
        throw new ExitError(
          `flotilla: Error response from daemon: ${sentence(e.message)}`,
          startFailureCode(e.message),
        );
      throw e;
    }
    out(ctx, id);
    return 0;
  }
  let output: Promise<void> | undefined;
  // Like docker's --sig-proxy: a signal to the CLI goes to the container, which decides to exit.
  const unsubscribe = ctx.io.onSignal?.((signal) => {
    void ctx.client.call('POST', `/containers/${id}/kill`, { query: { signal } }).catch(() => undefined);
  });
  try {
    if (cfg.interactive) output = (await attachInteractive(ctx, id, cfg.tty)).done;
    try {
      await ctx.client.call('POST', `/containers/${id}/start`);
    } catch (e) {
      if (e instanceof DaemonError)
        throw new ExitError(
          `flotilla: Error response from daemon: ${sentence(e.message)}`,
          startFailureCode(e.message),
        );
      throw e;
    }
    if (!output) output = streamOutput(ctx, id, cfg.tty);
    const [status] = await Promise.all([
      ctx.client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`, {
        query: { condition: 'not-running' },
      }),
      output,
    ]);
    return status.StatusCode;
  } finally {
    unsubscribe?.();
    if (cfg.autoRemove)
      await ctx.client.call('DELETE', `/containers/${id}`, { query: { force: true, v: true } }).catch(() => undefined);
  }
}

export async function create(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, RUN_FLAGS, { interspersed: false });
  const cfg = buildRunConfig(p, ctx.io.env, ctx.io.cwd);
  out(ctx, await createContainer(ctx, cfg.name, cfg.body, str(p, 'pull')));
  return 0;
}

export async function start(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'attach', short: 'a', type: 'bool' },
    { name: 'interactive', short: 'i', type: 'bool' },
  ]);
  if (bool(p, 'attach') && p.positionals.length === 1) {
    const id = p.positionals[0]!;
    const info = await ctx.client.json<Json>('GET', `/containers/${id}/json`);
    const tty = Boolean((info.Config as Json | undefined)?.Tty);
    await ctx.client.call('POST', `/containers/${id}/start`);
    await streamOutput(ctx, id, tty);
    const s = await ctx.client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
    return s.StatusCode;
  }
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/start`),
    '"start" requires at least 1 argument.',
  );
}

export async function stop(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'time', short: 't', type: 'string' },
    { name: 'signal', short: 's', type: 'string' },
  ]);
  const t = str(p, 'time');
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/stop`, { query: { t, signal: str(p, 'signal') } }),
    '"stop" requires at least 1 argument.',
  );
}

export async function restart(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'time', short: 't', type: 'string' }]);
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/restart`, { query: { t: str(p, 'time') } }),
    '"restart" requires at least 1 argument.',
  );
}

export async function kill(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'signal', short: 's', type: 'string' }]);
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/kill`, { query: { signal: str(p, 'signal') } }),
    '"kill" requires at least 1 argument.',
  );
}

export async function rm(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'force', short: 'f', type: 'bool' },
    { name: 'volumes', short: 'v', type: 'bool' },
    { name: 'link', short: 'l', type: 'bool' },
  ]);
  return forEachArg(
    ctx,
    p.positionals,
    (id) =>
      ctx.client.call('DELETE', `/containers/${id}`, { query: { force: bool(p, 'force'), v: bool(p, 'volumes') } }),
    '"rm" requires at least 1 argument.',
  );
}

export async function pause(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/pause`),
    '"pause" requires at least 1 argument.',
  );
}

export async function unpause(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/unpause`),
    '"unpause" requires at least 1 argument.',
  );
}

export async function rename(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  if (p.positionals.length !== 2) throw new UsageError('"rename" requires exactly 2 arguments.');
  await ctx.client.call('POST', `/containers/${p.positionals[0]!}/rename`, { query: { name: p.positionals[1] } });
  return 0;
}

/** `attach`: the container's output (and our stdin, if it was created with -i) until it exits. */
export async function attach(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'no-stdin', type: 'bool' },
    { name: 'sig-proxy', type: 'bool' },
    { name: 'detach-keys', type: 'string' },
  ]);
  if (p.positionals.length !== 1) throw new UsageError('"attach" requires exactly 1 argument.');
  const id = p.positionals[0]!;
  const info = await ctx.client.json<Json>('GET', `/containers/${id}/json`);
  const config = (info.Config ?? {}) as Json;
  const tty = Boolean(config.Tty);
  const withStdin = Boolean(config.OpenStdin) && !bool(p, 'no-stdin');
  const { socket, head } = await ctx.client.hijack(`/containers/${id}/attach`, {
    query: { stream: true, stdin: withStdin, stdout: true, stderr: true },
  });
  if (withStdin) {
    ctx.io.stdin.on('data', (d: Buffer) => socket.write(d));
    ctx.io.stdin.on('end', () => socket.end());
  }
  const unsubscribe = ctx.io.onSignal?.((signal) => {
    void ctx.client.call('POST', `/containers/${id}/kill`, { query: { signal } }).catch(() => undefined);
  });
  try {
    await demux(socket, ctx.io.stdout, ctx.io.stderr, tty, head);
  } finally {
    unsubscribe?.();
    if (withStdin) ctx.io.stdin.pause();
  }
  const s = await ctx.client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
  return s.StatusCode;
}

export async function wait(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  return forEachArg(
    ctx,
    p.positionals,
    async (id) => [
      String((await ctx.client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`)).StatusCode),
    ],
    '"wait" requires at least 1 argument.',
  );
}

function fmtPorts(ports: Json[] | undefined): string {
  if (!ports) return '';
  return ports
    .map((pt) =>
      pt.PublicPort
        ? `${String(pt.IP || '0.0.0.0')}:${String(pt.PublicPort)}->${String(pt.PrivatePort)}/${String(pt.Type)}`
        : `${String(pt.PrivatePort)}/${String(pt.Type)}`,
    )
    .join(', ');
}

function ago(unixSeconds: number): string {
  return `${humanDuration((Date.now() / 1000 - unixSeconds) * 1000)} ago`;
}

const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  Ports: 'PORTS',
  Names: 'NAMES',
  State: 'STATE',
  Networks: 'NETWORKS',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Size: 'SIZE',
};

/** docker ps row fields (the names `--format` templates use). */
export function psRow(c: Json): Json {
  const names = ((c.Names as string[]) ?? []).map((n) => n.replace(/^\//, ''));
  const cmd = String(c.Command ?? '');
  return {
    Command: JSON.stringify(cmd),
    CreatedAt: new Date(Number(c.Created) * 1000)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' +0000 UTC'),
    ID: String(c.Id).slice(0, 12),
    Image: c.Image,
    Labels: Object.entries((c.Labels as Record<string, string>) ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    LocalVolumes: '0',
    Mounts: '',
    Names: names.join(','),
    Networks: Object.keys(((c.NetworkSettings as Json | undefined)?.Networks as Json | undefined) ?? {}).join(','),
    Ports: fmtPorts(c.Ports as Json[]),
    RunningFor: ago(Number(c.Created)),
    Size: humanSize(Number(c.SizeRw ?? 0)),
    State: c.State,
    Status: c.Status,
  };
}

export async function ps(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'all', short: 'a', type: 'bool' },
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'no-trunc', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'filter', short: 'f', type: 'list' },
    { name: 'latest', short: 'l', type: 'bool' },
    { name: 'size', short: 's', type: 'bool' },
  ]);
  const filters: Record<string, string[]> = {};
  for (const f of list(p, 'filter')) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError(`bad format of filter (expected name=value)`);
    (filters[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  let list_ = await ctx.client.json<Json[]>('GET', '/containers/json', {
    query: { all: bool(p, 'all'), filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
  });
  if (bool(p, 'latest')) list_ = list_.slice(0, 1);
  const noTrunc = bool(p, 'no-trunc');
  if (bool(p, 'quiet')) {
    for (const c of list_) out(ctx, noTrunc ? String(c.Id) : String(c.Id).slice(0, 12));
    return 0;
  }
  const format = str(p, 'format');
  if (format && format !== 'table') {
    const table = renderTableFormat(format, list_.map(psRow), PS_HEADERS);
    if (table !== undefined) ctx.io.stdout.write(table);
    else for (const c of list_) out(ctx, renderTemplate(format, psRow(c)));
    return 0;
  }
  const rows = list_.map((c) => {
    const r = psRow(c);
    const cmd = String(c.Command ?? '');
    return [
      noTrunc ? String(c.Id) : String(r.ID),
      String(r.Image),
      JSON.stringify(noTrunc ? cmd : ellipsis(cmd, 20)),
      String(r.RunningFor),
      String(r.Status),
      String(r.Ports),
      String(r.Names),
    ];
  });
  ctx.io.stdout.write(renderTable(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows));
  return 0;
}

export async function logs(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'follow', short: 'f', type: 'bool' },
    { name: 'tail', short: 'n', type: 'string' },
    { name: 'timestamps', short: 't', type: 'bool' },
    { name: 'since', type: 'string' },
    { name: 'until', type: 'string' },
    { name: 'details', type: 'bool' },
  ]);
  if (p.positionals.length !== 1) throw new UsageError('"logs" requires exactly 1 argument.');
  const id = p.positionals[0]!;
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

/** --since/--until: RFC 3339, unix seconds, or a relative duration ("10m", "1h30m", "5s"). */
export function parseTime(v: string | undefined, now = Date.now()): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return v;
  const rel = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(v);
  if (rel && v !== '') {
    const ms =
      Number(rel[1] ?? 0) * 3600000 + Number(rel[2] ?? 0) * 60000 + Number(rel[3] ?? 0) * 1000 + Number(rel[4] ?? 0);
    return ((now - ms) / 1000).toFixed(9);
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`invalid value for "since": ${v}`);
  return (t / 1000).toFixed(9);
}

export async function exec(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(
    argv,
    [
      { name: 'interactive', short: 'i', type: 'bool' },
      { name: 'tty', short: 't', type: 'bool' },
      { name: 'detach', short: 'd', type: 'bool' },
      { name: 'env', short: 'e', type: 'list' },
      { name: 'user', short: 'u', type: 'string' },
      { name: 'workdir', short: 'w', type: 'string' },
      { name: 'privileged', type: 'bool' },
    ],
    { interspersed: false },
  );
  const [id, ...cmd] = p.positionals;
  if (!id || cmd.length === 0) throw new UsageError('"exec" requires at least 2 arguments.');
  const interactive = bool(p, 'interactive');
  const tty = bool(p, 'tty');
  let execId: string;
  try {
    ({ Id: execId } = await ctx.client.json<{ Id: string }>('POST', `/containers/${id}/exec`, {
      body: {
        Cmd: cmd,
        Env: list(p, 'env'),
        User: str(p, 'user'),
        WorkingDir: str(p, 'workdir'),
        Tty: tty,
        AttachStdin: interactive,
        AttachStdout: true,
        AttachStderr: true,
        Privileged: bool(p, 'privileged'),
      },
    }));
  } catch (e) {
    if (e instanceof DaemonError) throw new ExitError(`Error response from daemon: ${e.message}`, 1);
    throw e;
  }
  if (bool(p, 'detach')) {
    await ctx.client.call('POST', `/exec/${execId}/start`, { body: { Detach: true, Tty: tty } });
    return 0;
  }
  if (interactive) {
    const { socket, head } = await ctx.client.hijack(`/exec/${execId}/start`, { body: { Detach: false, Tty: tty } });
    const stdin = ctx.io.stdin;
    stdin.on('data', (d: Buffer) => socket.write(d));
    stdin.on('end', () => socket.end());
    await demux(socket, ctx.io.stdout, ctx.io.stderr, tty, head);
    stdin.pause();
  } else {
    const res = await ctx.client.raw('POST', `/exec/${execId}/start`, { body: { Detach: false, Tty: tty } });
    await demux(res, ctx.io.stdout, ctx.io.stderr, tty);
  }
  const info = await ctx.client.json<{ ExitCode: number | null }>('GET', `/exec/${execId}/json`);
  return info.ExitCode ?? 0;
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
    for (const r of rows) out(ctx, renderTemplate(format, r));
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
