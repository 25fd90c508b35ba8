// flotilla service create | ls | ps | inspect | scale | update | rollback | rm
import type { PortConfig } from '@flotilla/manager';
import { parseDuration } from '../../compose/units';
import { UsageError, bool, list, parseArgs, str, type FlagSpec } from '../args';
import { DaemonError } from '../client';
import { type Ctx, ExitError, out, err } from '../io';
import { parseTime } from './containers';
import { HEALTH_FLAGS, healthcheckFromFlags } from '../health-flags';
import { demux } from '../stdcopy';
import { renderTable } from '../table';
import { renderTemplate } from '../template';
import { ago, ramInBytes } from '../units';
import { waitConverged } from './converge';
import { cap, portText, portsColumn, type ApiNode, type ApiService, type ApiTask } from './swarm-shapes';

const SPEC_FLAGS: FlagSpec[] = [
  { name: 'name', type: 'string' },
  { name: 'replicas', type: 'string' },
  { name: 'mode', type: 'string' },
  { name: 'publish', short: 'p', type: 'list' },
  { name: 'env', short: 'e', type: 'list' },
  { name: 'label', short: 'l', type: 'list' },
  { name: 'container-label', type: 'list' },
  { name: 'limit-cpu', type: 'string' },
  { name: 'limit-memory', type: 'string' },
  { name: 'limit-pids', type: 'string' },
  { name: 'reserve-cpu', type: 'string' },
  { name: 'reserve-memory', type: 'string' },
  { name: 'restart-condition', type: 'string' },
  { name: 'restart-delay', type: 'string' },
  { name: 'restart-max-attempts', type: 'string' },
  { name: 'restart-window', type: 'string' },
  { name: 'constraint', type: 'list' },
  { name: 'placement-pref', type: 'list' },
  { name: 'replicas-max-per-node', type: 'string' },
  { name: 'network', type: 'list' },
  { name: 'endpoint-mode', type: 'string' },
  { name: 'mount', type: 'list' },
  { name: 'update-parallelism', type: 'string' },
  { name: 'update-delay', type: 'string' },
  { name: 'update-order', type: 'string' },
  { name: 'update-failure-action', type: 'string' },
  { name: 'update-monitor', type: 'string' },
  { name: 'update-max-failure-ratio', type: 'string' },
  { name: 'rollback-parallelism', type: 'string' },
  { name: 'rollback-delay', type: 'string' },
  { name: 'rollback-order', type: 'string' },
  { name: 'rollback-failure-action', type: 'string' },
  { name: 'rollback-monitor', type: 'string' },
  { name: 'rollback-max-failure-ratio', type: 'string' },
  { name: 'hostname', type: 'string' },
  { name: 'workdir', short: 'w', type: 'string' },
  { name: 'user', short: 'u', type: 'string' },
  { name: 'entrypoint', type: 'string' },
  { name: 'stop-grace-period', type: 'string' },
  { name: 'stop-signal', type: 'string' },
  { name: 'detach', short: 'd', type: 'bool' },
  { name: 'quiet', short: 'q', type: 'bool' },
  { name: 'with-registry-auth', type: 'bool' },
  ...HEALTH_FLAGS,
];

/** Go durations ("10s", "1m30s", "500ms") to nanoseconds, with docker's flag error. */
function duration(v: string, flag: string): number {
  try {
    return parseDuration(v);
  } catch {
    throw new UsageError(`invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
  }
}

function int(v: string, flag: string): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v))
    throw new UsageError(
      `invalid argument "${v}" for "--${flag}" flag: strconv.ParseUint: parsing "${v}": invalid syntax`,
    );
  return n;
}

/** -p 4000:80, -p 4000:80/udp, -p published=4000,target=80,mode=host */
function parsePublish(v: string): PortConfig {
  if (v.includes('=')) {
    const o = Object.fromEntries(v.split(',').map((kv) => kv.split('=', 2) as [string, string]));
    if (!o.target) throw new UsageError(`invalid argument "${v}" for "-p, --publish" flag: missing target port`);
    // protocol= and mode= go to the daemon as written, unchecked as before (docker's CLI rejects
    // other values; the manager's spec validator is the place for that check).
    return {
      Protocol: (o.protocol ?? 'tcp') as PortConfig['Protocol'],
      TargetPort: Number(o.target),
      ...(o.published ? { PublishedPort: Number(o.published) } : {}),
      PublishMode: (o.mode ?? 'ingress') as PortConfig['PublishMode'],
    };
  }
  const m = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(v);
  if (!m) throw new UsageError(`invalid argument "${v}" for "-p, --publish" flag: use PUBLISHED:TARGET[/PROTOCOL]`);
  return {
    Protocol: (m[3] as PortConfig['Protocol'] | undefined) ?? 'tcp', // the pattern allows tcp, udp and sctp only
    TargetPort: Number(m[2]),
    ...(m[1] ? { PublishedPort: Number(m[1]) } : {}),
    PublishMode: 'ingress',
  };
}

function parseMount(v: string): Record<string, unknown> {
  const o = Object.fromEntries(v.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const target = o.target ?? o.destination ?? o.dst;
  if (!target) throw new UsageError(`invalid argument "${v}" for "--mount" flag: target is required`);
  return {
    Type: o.type ?? 'volume',
    Source: o.source ?? o.src,
    Target: target,
    ReadOnly: o.readonly === 'true' || 'readonly' in o || o.ro === 'true',
  };
}

function kv(items: string[]): Record<string, string> {
  return Object.fromEntries(
    items.map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])),
  );
}

type Spec = ApiService['Spec'] & Record<string, unknown>;

/** Applies create/update flags to a spec (docker's service create/update flag semantics). */
function applyFlags(p: ReturnType<typeof parseArgs>, spec: Spec, isUpdate: boolean): void {
  const tt = spec.TaskTemplate as Record<string, unknown> & { ContainerSpec: Record<string, unknown> };
  const cs = tt.ContainerSpec;
  const set = (flag: string, fn: (v: string) => void) => {
    const v = str(p, flag);
    if (v !== undefined) fn(v);
  };
  set('replicas', (v) => {
    const n = int(v, 'replicas');
    if (n < 0) throw new UsageError(`invalid replicas value ${v}: replicas must be a non-negative integer`);
    spec.Mode = { Replicated: { Replicas: n } };
  });
  set('mode', (v) => {
    if (v === 'global') spec.Mode = { Global: {} };
    else if (v === 'replicated') spec.Mode = { Replicated: { Replicas: spec.Mode.Replicated?.Replicas ?? 1 } };
    else throw new UsageError(`invalid mode "${v}": use replicated or global`);
  });
  // Like docker, an update changes only the health settings it names.
  const hc = healthcheckFromFlags(p);
  if (hc)
    cs.Healthcheck = hc.Test?.[0] === 'NONE' || !isUpdate ? hc : { ...(cs.Healthcheck as object | undefined), ...hc };
  if (list(p, 'env').length) cs.Env = [...(isUpdate ? ((cs.Env as string[]) ?? []) : []), ...list(p, 'env')];
  if (list(p, 'container-label').length) cs.Labels = { ...(cs.Labels as object), ...kv(list(p, 'container-label')) };
  if (list(p, 'label').length) spec.Labels = { ...spec.Labels, ...kv(list(p, 'label')) };
  set('hostname', (v) => (cs.Hostname = v));
  set('workdir', (v) => (cs.Dir = v));
  set('user', (v) => (cs.User = v));
  set('entrypoint', (v) => (cs.Command = v.split(/\s+/).filter(Boolean)));
  set('stop-grace-period', (v) => (cs.StopGracePeriod = duration(v, 'stop-grace-period')));
  set('stop-signal', (v) => (cs.StopSignal = v));
  if (list(p, 'mount').length) cs.Mounts = list(p, 'mount').map(parseMount);
  const res = (tt.Resources ?? {}) as { Limits?: Record<string, number>; Reservations?: Record<string, number> };
  set('limit-cpu', (v) => (res.Limits = { ...res.Limits, NanoCPUs: Math.round(Number(v) * 1e9) }));
  set('limit-memory', (v) => (res.Limits = { ...res.Limits, MemoryBytes: ramInBytes(v) }));
  set('limit-pids', (v) => (res.Limits = { ...res.Limits, Pids: int(v, 'limit-pids') }));
  set('reserve-cpu', (v) => (res.Reservations = { ...res.Reservations, NanoCPUs: Math.round(Number(v) * 1e9) }));
  set('reserve-memory', (v) => (res.Reservations = { ...res.Reservations, MemoryBytes: ramInBytes(v) }));
  if (res.Limits || res.Reservations) tt.Resources = res;
  const rp = (tt.RestartPolicy ?? {}) as Record<string, unknown>;
  set('restart-condition', (v) => {
    if (!['none', 'on-failure', 'any'].includes(v))
      throw new UsageError(`invalid restart condition "${v}": use none, on-failure or any`);
    rp.Condition = v;
  });
  set('restart-delay', (v) => (rp.Delay = duration(v, 'restart-delay')));
  set('restart-max-attempts', (v) => (rp.MaxAttempts = int(v, 'restart-max-attempts')));
  set('restart-window', (v) => (rp.Window = duration(v, 'restart-window')));
  if (Object.keys(rp).length) tt.RestartPolicy = rp;
  const pl = (tt.Placement ?? {}) as Record<string, unknown>;
  if (list(p, 'constraint').length)
    pl.Constraints = [...(isUpdate ? ((pl.Constraints as string[]) ?? []) : []), ...list(p, 'constraint')];
  if (list(p, 'placement-pref').length)
    pl.Preferences = list(p, 'placement-pref').map((v) => ({
      Spread: { SpreadDescriptor: v.replace(/^spread=/, '') },
    }));
  set('replicas-max-per-node', (v) => (pl.MaxReplicas = int(v, 'replicas-max-per-node')));
  if (Object.keys(pl).length) tt.Placement = pl;
  if (list(p, 'network').length) tt.Networks = list(p, 'network').map((n) => ({ Target: n }));
  const uc = (spec.UpdateConfig ?? {}) as Record<string, unknown>;
  set('update-parallelism', (v) => (uc.Parallelism = int(v, 'update-parallelism')));
  set('update-delay', (v) => (uc.Delay = duration(v, 'update-delay')));
  set('update-order', (v) => (uc.Order = v));
  set('update-failure-action', (v) => (uc.FailureAction = v));
  set('update-monitor', (v) => (uc.Monitor = duration(v, 'update-monitor')));
  set('update-max-failure-ratio', (v) => (uc.MaxFailureRatio = Number(v)));
  if (Object.keys(uc).length) spec.UpdateConfig = uc;
  const rc = (spec.RollbackConfig ?? {}) as Record<string, unknown>;
  set('rollback-parallelism', (v) => (rc.Parallelism = int(v, 'rollback-parallelism')));
  set('rollback-delay', (v) => (rc.Delay = duration(v, 'rollback-delay')));
  set('rollback-order', (v) => (rc.Order = v));
  set('rollback-failure-action', (v) => (rc.FailureAction = v));
  set('rollback-monitor', (v) => (rc.Monitor = duration(v, 'rollback-monitor')));
  set('rollback-max-failure-ratio', (v) => (rc.MaxFailureRatio = Number(v)));
  if (Object.keys(rc).length) spec.RollbackConfig = rc;
  set('endpoint-mode', (v) => {
    if (v !== 'vip' && v !== 'dnsrr') throw new UsageError(`invalid endpoint mode "${v}": use vip or dnsrr`);
    spec.EndpointSpec = { ...(spec.EndpointSpec ?? {}), Mode: v };
  });
  if (list(p, 'publish').length) {
    const ports = list(p, 'publish').map(parsePublish);
    spec.EndpointSpec = {
      ...(spec.EndpointSpec ?? {}),
      Ports: isUpdate
        ? [
            ...(spec.EndpointSpec?.Ports ?? []).filter((x) => !ports.some((y) => y.PublishedPort === x.PublishedPort)),
            ...ports,
          ]
        : ports,
    };
  }
}

async function servicesOf(ctx: Ctx, filters?: Record<string, string[]>): Promise<ApiService[]> {
  return ctx.client.json<ApiService[]>('GET', '/services', {
    query: { status: true, ...(filters ? { filters: JSON.stringify(filters) } : {}) },
  });
}

/** service ls, also used by `stack services`. */
export async function listServices(ctx: Ctx, argv: string[], filters?: Record<string, string[]>): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'filter', short: 'f', type: 'list' },
  ]);
  const f = { ...filters };
  for (const x of list(p, 'filter')) {
    const [k, v] = x.split('=', 2) as [string, string];
    f[k] = [...(f[k] ?? []), v];
  }
  const services = (await servicesOf(ctx, Object.keys(f).length ? f : undefined)).sort((a, b) =>
    a.Spec.Name < b.Spec.Name ? -1 : 1,
  );
  if (bool(p, 'quiet')) {
    for (const s of services) out(ctx, s.ID.slice(0, 12));
    return 0;
  }
  const rows = services.map((s) => ({
    ID: s.ID.slice(0, 12),
    Name: s.Spec.Name,
    Mode: s.Spec.Mode.Global ? 'global' : 'replicated',
    Replicas: `${s.ServiceStatus?.RunningTasks ?? 0}/${s.ServiceStatus?.DesiredTasks ?? 0}`,
    Image: s.Spec.TaskTemplate.ContainerSpec.Image,
    Ports: portsColumn(s),
  }));
  const format = str(p, 'format');
  if (format === 'json') for (const r of rows) out(ctx, JSON.stringify(r));
  else if (format && format !== 'table') for (const r of rows) out(ctx, renderTemplate(format, r));
  else
    ctx.io.stdout.write(
      renderTable(
        ['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS'],
        rows.map((r) => [r.ID, r.Name, r.Mode, r.Replicas, r.Image, r.Ports]),
      ),
    );
  return 0;
}

/** service ps / stack ps: tasks newest first per slot, older ones indented like docker. */
export async function listTasks(ctx: Ctx, argv: string[], services: ApiService[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'filter', short: 'f', type: 'list' },
    { name: 'no-trunc', type: 'bool' },
  ]);
  const nodes = await ctx.client.json<ApiNode[]>('GET', '/nodes');
  const host = (id?: string) => nodes.find((n) => n.ID === id)?.Description.Hostname ?? '';
  const desired = list(p, 'filter')
    .filter((x) => x.startsWith('desired-state='))
    .map((x) => x.slice('desired-state='.length));
  const rows: Record<string, string>[] = [];
  for (const s of services.sort((a, b) => (a.Spec.Name < b.Spec.Name ? -1 : 1))) {
    const tasks = await ctx.client.json<ApiTask[]>('GET', '/tasks', {
      query: { filters: JSON.stringify({ service: [s.ID], ...(desired.length ? { 'desired-state': desired } : {}) }) },
    });
    const groups = new Map<string, ApiTask[]>();
    for (const t of tasks) {
      const key = String(t.Slot ?? t.NodeID);
      groups.set(key, [...(groups.get(key) ?? []), t]);
    }
    const keys = [...groups.keys()].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : 1));
    for (const k of keys) {
      const ts = groups.get(k)!.sort((a, b) => Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt));
      ts.forEach((t, i) => {
        const name = `${s.Spec.Name}.${k}`;
        rows.push({
          ID: bool(p, 'no-trunc') ? t.ID : t.ID.slice(0, 12),
          Name: i === 0 ? name : ` \\_ ${name}`,
          Image: t.Spec.ContainerSpec.Image,
          Node: host(t.NodeID),
          DesiredState: cap(t.DesiredState),
          CurrentState: `${cap(t.Status.State)} ${ago(Date.parse(t.Status.Timestamp))}`,
          Error: t.Status.Err ? `"${t.Status.Err}"` : '',
          Ports: (t.Status.PortStatus?.Ports ?? []).map(portText).join(', '),
        });
      });
    }
  }
  if (bool(p, 'quiet')) {
    for (const r of rows) out(ctx, r.ID!);
    return 0;
  }
  const format = str(p, 'format');
  if (format === 'json') for (const r of rows) out(ctx, JSON.stringify(r));
  else if (format && format !== 'table') for (const r of rows) out(ctx, renderTemplate(format, r));
  else
    ctx.io.stdout.write(
      renderTable(
        ['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR', 'PORTS'],
        rows.map((r) => [r.ID!, r.Name!, r.Image!, r.Node!, r.DesiredState!, r.CurrentState!, r.Error!, r.Ports!]),
      ),
    );
  return 0;
}

async function getService(ctx: Ctx, ref: string): Promise<ApiService> {
  try {
    return await ctx.client.json<ApiService>('GET', `/services/${encodeURIComponent(ref)}`);
  } catch (e) {
    if (e instanceof DaemonError && e.status === 404) throw new ExitError(`Error: no such service: ${ref}`, 1);
    throw e;
  }
}

async function updateService(
  ctx: Ctx,
  s: ApiService,
  spec: Spec,
  opts: { rollback?: boolean; detach: boolean; quiet?: boolean },
): Promise<void> {
  await ctx.client.json('POST', `/services/${s.ID}/update`, {
    query: { version: s.Version.Index, ...(opts.rollback ? { rollback: 'previous' } : {}) },
    body: spec,
  });
  if (!opts.detach) await waitConverged(ctx, [s.ID], { quiet: opts.quiet });
}

export async function service(ctx: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create': {
      const p = parseArgs(rest, SPEC_FLAGS, { interspersed: false });
      const [image, ...args] = p.positionals;
      if (!image)
        throw new UsageError(
          '"flotilla service create" requires at least 1 argument.\nUsage:  flotilla service create [OPTIONS] IMAGE [COMMAND] [ARG...]',
        );
      const spec: Spec = {
        Name: str(p, 'name') ?? '',
        TaskTemplate: { ContainerSpec: { Image: image, ...(args.length ? { Args: args } : {}) } },
        Mode: { Replicated: { Replicas: 1 } },
      };
      applyFlags(p, spec, false);
      if (!spec.Name)
        spec.Name = `${image.replace(/[:@/].*$/, '').replace(/[^a-zA-Z0-9_.-]/g, '')}_${Math.random().toString(36).slice(2, 8)}`;
      const r = await ctx.client.json<{ ID: string }>('POST', '/services/create', { body: spec });
      out(ctx, r.ID);
      if (!bool(p, 'detach')) await waitConverged(ctx, [r.ID], { quiet: bool(p, 'quiet') });
      return 0;
    }
    case 'ls':
    case 'list':
      return listServices(ctx, rest);
    case 'ps': {
      if (!rest.some((a) => !a.startsWith('-')))
        throw new UsageError('"flotilla service ps" requires at least 1 argument.');
      const p = parseArgs(rest, [
        { name: 'quiet', short: 'q', type: 'bool' },
        { name: 'format', type: 'string' },
        { name: 'filter', short: 'f', type: 'list' },
        { name: 'no-trunc', type: 'bool' },
      ]);
      const services = await Promise.all(p.positionals.map((ref) => getService(ctx, ref)));
      return listTasks(
        ctx,
        rest.filter((a) => !p.positionals.includes(a)),
        services,
      );
    }
    case 'inspect': {
      const p = parseArgs(rest, [
        { name: 'format', short: 'f', type: 'string' },
        { name: 'pretty', type: 'bool' },
      ]);
      if (!p.positionals.length) throw new UsageError('"flotilla service inspect" requires at least 1 argument.');
      const found = await Promise.all(p.positionals.map((ref) => getService(ctx, ref)));
      const format = str(p, 'format');
      if (format === 'json') for (const s of found) out(ctx, JSON.stringify(s));
      else if (format) for (const s of found) out(ctx, renderTemplate(format, s));
      else out(ctx, JSON.stringify(found, null, 4));
      return 0;
    }
    case 'scale': {
      const p = parseArgs(rest, [{ name: 'detach', short: 'd', type: 'bool' }]);
      if (!p.positionals.length)
        throw new UsageError(
          '"flotilla service scale" requires at least 1 argument.\nUsage:  flotilla service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]',
        );
      let code = 0;
      for (const arg of p.positionals) {
        const m = /^([^=]+)=(\d+)$/.exec(arg);
        if (!m) throw new UsageError(`invalid scale specifier '${arg}'.\nSee 'flotilla service scale --help'.`);
        const s = await getService(ctx, m[1]!);
        if (!s.Spec.Mode.Replicated) {
          err(ctx, `${m[1]}: scale can only be used with replicated mode`);
          code = 1;
          continue;
        }
        await updateService(ctx, s, { ...s.Spec, Mode: { Replicated: { Replicas: Number(m[2]) } } } as Spec, {
          detach: true,
        });
        out(ctx, `${m[1]} scaled to ${m[2]}`);
      }
      if (!bool(p, 'detach'))
        await waitConverged(
          ctx,
          await Promise.all(p.positionals.map(async (a) => (await getService(ctx, a.split('=')[0]!)).ID)),
        );
      return code;
    }
    case 'update': {
      const p = parseArgs(rest, [
        ...SPEC_FLAGS,
        { name: 'image', type: 'string' },
        { name: 'force', type: 'bool' },
        { name: 'args', type: 'string' },
        { name: 'env-rm', type: 'list' },
        { name: 'rollback', type: 'bool' },
      ]);
      if (p.positionals.length !== 1) throw new UsageError('"flotilla service update" requires exactly 1 argument.');
      const s = await getService(ctx, p.positionals[0]!);
      const spec = JSON.parse(JSON.stringify(s.Spec)) as Spec;
      applyFlags(p, spec, true);
      const image = str(p, 'image');
      if (image) spec.TaskTemplate.ContainerSpec.Image = image;
      const args = str(p, 'args');
      if (args !== undefined) spec.TaskTemplate.ContainerSpec.Args = args.split(/\s+/).filter(Boolean);
      const rm = list(p, 'env-rm');
      if (rm.length)
        spec.TaskTemplate.ContainerSpec.Env = (spec.TaskTemplate.ContainerSpec.Env ?? []).filter(
          (e) => !rm.includes(e.split('=')[0]!),
        );
      if (bool(p, 'force')) spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
      await updateService(ctx, s, spec, {
        detach: bool(p, 'detach'),
        rollback: bool(p, 'rollback'),
        quiet: bool(p, 'quiet'),
      });
      out(ctx, p.positionals[0]!);
      return 0;
    }
    case 'rollback': {
      const p = parseArgs(rest, [
        { name: 'detach', short: 'd', type: 'bool' },
        { name: 'quiet', short: 'q', type: 'bool' },
      ]);
      if (p.positionals.length !== 1) throw new UsageError('"flotilla service rollback" requires exactly 1 argument.');
      const s = await getService(ctx, p.positionals[0]!);
      await updateService(ctx, s, s.Spec as Spec, {
        rollback: true,
        detach: bool(p, 'detach'),
        quiet: bool(p, 'quiet'),
      });
      out(ctx, p.positionals[0]!);
      return 0;
    }
    case 'logs': {
      const p = parseArgs(rest, [
        { name: 'follow', short: 'f', type: 'bool' },
        { name: 'tail', short: 'n', type: 'string' },
        { name: 'timestamps', short: 't', type: 'bool' },
        { name: 'since', type: 'string' },
        { name: 'raw', type: 'bool' },
        { name: 'no-task-ids', type: 'bool' },
        { name: 'no-trunc', type: 'bool' },
      ]);
      if (p.positionals.length !== 1) throw new UsageError('"flotilla service logs" requires exactly 1 argument.');
      const s = await getService(ctx, p.positionals[0]!);
      const query = {
        stdout: true,
        stderr: true,
        follow: bool(p, 'follow'),
        tail: str(p, 'tail') ?? 'all',
        timestamps: bool(p, 'timestamps'),
        since: parseTime(str(p, 'since')),
        raw: bool(p, 'raw'),
        noTaskIds: bool(p, 'no-task-ids'),
        noTrunc: bool(p, 'no-trunc'),
      };
      const res = await ctx.client.raw('GET', `/services/${s.ID}/logs`, { query });
      await demux(res, ctx.io.stdout, ctx.io.stderr, false);
      return 0;
    }
    case 'rm':
    case 'remove': {
      if (!rest.length) throw new UsageError('"flotilla service rm" requires at least 1 argument.');
      let code = 0;
      for (const ref of rest) {
        try {
          await ctx.client.call('DELETE', `/services/${encodeURIComponent(ref)}`);
          out(ctx, ref);
        } catch (e) {
          if (!(e instanceof DaemonError) || e.status !== 404) throw e;
          err(ctx, `Error: no such service: ${ref}`);
          code = 1;
        }
      }
      return code;
    }
    default:
      throw new UsageError(
        sub
          ? `flotilla service: '${sub}' is not a flotilla command.`
          : "Usage:  flotilla service COMMAND\n\nCommands:\n  create    Create a new service\n  inspect   Display detailed information on one or more services\n  logs      Fetch the logs of a service\n  ls        List services\n  ps        List the tasks of one or more services\n  rm        Remove one or more services\n  rollback  Revert changes to a service's configuration\n  scale     Scale one or multiple replicated services\n  update    Update a service",
      );
  }
}
