// service ls and service ps (also stack services and stack ps): docker's tables and --format.
import { bool, list, parseArgs, str } from '../args';
import { type Ctx, out } from '../io';
import { renderTable } from '../table';
import { renderRows } from '../template';

/** docker's column headers for the service ls and service ps --format fields. */
const SERVICE_HEADERS = { ID: 'ID', Name: 'NAME', Mode: 'MODE', Replicas: 'REPLICAS', Image: 'IMAGE', Ports: 'PORTS' };
const TASK_HEADERS = {
  ID: 'ID',
  Name: 'NAME',
  Image: 'IMAGE',
  Node: 'NODE',
  DesiredState: 'DESIRED STATE',
  CurrentState: 'CURRENT STATE',
  Error: 'ERROR',
  Ports: 'PORTS',
};
import { ago } from '../units';
import { cap, portText, portsColumn, type ApiNode, type ApiService, type ApiTask } from './swarm-shapes';

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
  if (format && format !== 'table') ctx.io.stdout.write(renderRows(format, rows, SERVICE_HEADERS));
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
  if (format && format !== 'table') ctx.io.stdout.write(renderRows(format, rows, TASK_HEADERS));
  else
    ctx.io.stdout.write(
      renderTable(
        ['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR', 'PORTS'],
        rows.map((r) => [r.ID!, r.Name!, r.Image!, r.Node!, r.DesiredState!, r.CurrentState!, r.Error!, r.Ports!]),
      ),
    );
  return 0;
}
