// flotilla stack deploy | ls | ps | services | rm
import { ComposeError, loadStack, NAMESPACE_LABEL } from '../../compose';
import { UsageError, bool, list, onePositional, parseArgs, str } from '../args';
import { DaemonError } from '../client';
import { type Ctx, ExitError, err, out } from '../io';
import { renderTable } from '../table';
import { waitConverged } from './converge';
import { listServices, listTasks } from './service-list';
import { deployObjects, fillReferenceIds, removeObjects, stackObjects, withoutDataVersions } from './stack-objects';
import type { ApiService } from './swarm-shapes';

const NOT_MANAGER =
  'this node is not a swarm manager. Use "flotilla swarm init" or "flotilla swarm join" to connect this node to swarm and try again';

async function requireManager(ctx: Ctx): Promise<void> {
  const info = await ctx.client.json<{ Swarm: { ControlAvailable: boolean } }>('GET', '/info');
  if (!info.Swarm.ControlAvailable) throw new ExitError(NOT_MANAGER, 1);
}

async function stackServices(ctx: Ctx, name: string): Promise<ApiService[]> {
  return ctx.client.json<ApiService[]>('GET', '/services', {
    query: { status: true, filters: JSON.stringify({ label: [`${NAMESPACE_LABEL}=${name}`] }) },
  });
}

/** Docker compares specs to decide whether to send an update; unchanged services are not touched. */
function sameSpec(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(norm)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as object)
              .filter(([, x]) => x !== undefined)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, x]) => [k, norm(x)]),
          )
        : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

async function deploy(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'compose-file', short: 'c', type: 'list' },
    { name: 'prune', type: 'bool' },
    { name: 'detach', short: 'd', type: 'bool' },
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'with-registry-auth', type: 'bool' },
    { name: 'resolve-image', type: 'string' },
  ]);
  const name = onePositional(
    p,
    '"flotilla stack deploy" requires exactly 1 argument.\nUsage:  flotilla stack deploy [OPTIONS] STACK',
  );
  await requireManager(ctx);
  let loaded;
  try {
    loaded = loadStack({ files: list(p, 'compose-file'), namespace: name, env: ctx.io.env, cwd: ctx.io.cwd });
  } catch (e) {
    if (e instanceof ComposeError) throw new ExitError(e.message, 1);
    throw e;
  }
  for (const w of loaded.warnings) err(ctx, w);
  const before = await stackServices(ctx, name);
  // Stack networks are made on each node when a task first needs them (a local bridge per network).
  for (const n of loaded.spec.networks) if (!before.length) out(ctx, `Creating network ${n.Name}`);
  // Secrets and configs before the services, like docker; a changed file is updated in place.
  const secretIds = await deployObjects(ctx, 'secret', loaded.spec.secrets);
  const configIds = await deployObjects(ctx, 'config', loaded.spec.configs);
  fillReferenceIds(loaded.spec.services, secretIds, configIds);
  // Read again: an in-place data change may have rolled (and so changed) services of the stack.
  const touched = loaded.spec.secrets.create.length + loaded.spec.configs.create.length > 0;
  const existing = touched ? await stackServices(ctx, name) : before;
  const ids: string[] = [];
  for (const spec of loaded.spec.services) {
    const cur = existing.find((s) => s.Spec.Name === spec.Name);
    if (!cur) {
      out(ctx, `Creating service ${spec.Name}`);
      ids.push((await ctx.client.json<{ ID: string }>('POST', '/services/create', { body: spec })).ID);
      continue;
    }
    ids.push(cur.ID);
    const next = {
      ...spec,
      TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: cur.Spec.TaskTemplate.ForceUpdate ?? 0 },
    };
    const curComparable = {
      ...withoutDataVersions(cur.Spec),
      EndpointSpec: cur.Spec.EndpointSpec?.Ports?.length
        ? cur.Spec.EndpointSpec
        : { ...cur.Spec.EndpointSpec, Ports: undefined },
    };
    const nextComparable = { ...next, EndpointSpec: { Mode: 'vip', ...next.EndpointSpec } };
    if (sameSpec(curComparable, nextComparable)) continue;
    out(ctx, `Updating service ${spec.Name} (id: ${cur.ID})`);
    await ctx.client.json('POST', `/services/${cur.ID}/update`, { query: { version: cur.Version.Index }, body: next });
  }
  if (bool(p, 'prune')) {
    for (const s of existing) {
      if (loaded.spec.services.some((x) => x.Name === s.Spec.Name)) continue;
      out(ctx, `Removing service ${s.Spec.Name}`);
      await ctx.client.call('DELETE', `/services/${s.ID}`);
    }
  }
  if (!bool(p, 'detach')) return (await waitConverged(ctx, ids, { quiet: bool(p, 'quiet') })) ? 0 : 1;
  return 0;
}

/** The stack's secrets or configs; none from a daemon without the endpoint (404). */
async function stackObjectsOrNone(ctx: Ctx, kind: 'secret' | 'config', name: string) {
  try {
    return await stackObjects(ctx, kind, name);
  } catch (e) {
    if (e instanceof DaemonError && e.status === 404) return [];
    throw e;
  }
}

export async function stack(ctx: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'deploy':
    case 'up':
      return deploy(ctx, rest);
    case 'ls':
    case 'list': {
      const p = parseArgs(rest, [{ name: 'format', type: 'string' }]);
      await requireManager(ctx);
      const services = await ctx.client.json<ApiService[]>('GET', '/services');
      const counts = new Map<string, number>();
      for (const s of services) {
        const ns = s.Spec.Labels?.[NAMESPACE_LABEL];
        if (ns) counts.set(ns, (counts.get(ns) ?? 0) + 1);
      }
      const rows = [...counts]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([n, c]) => ({ Name: n, Services: String(c), Orchestrator: 'Swarm' }));
      if (str(p, 'format') === 'json') for (const r of rows) out(ctx, JSON.stringify(r));
      else
        ctx.io.stdout.write(
          renderTable(
            ['NAME', 'SERVICES', 'ORCHESTRATOR'],
            rows.map((r) => [r.Name, r.Services, r.Orchestrator]),
          ),
        );
      return 0;
    }
    case 'services': {
      const name = rest.find((a) => !a.startsWith('-'));
      if (!name) throw new UsageError('"flotilla stack services" requires exactly 1 argument.');
      await requireManager(ctx);
      const svc = await stackServices(ctx, name);
      if (!svc.length) throw new ExitError(`Nothing found in stack: ${name}`, 1);
      return listServices(
        ctx,
        rest.filter((a) => a !== name),
        { label: [`${NAMESPACE_LABEL}=${name}`] },
      );
    }
    case 'ps': {
      const name = rest.find((a) => !a.startsWith('-'));
      if (!name) throw new UsageError('"flotilla stack ps" requires exactly 1 argument.');
      await requireManager(ctx);
      const svc = await stackServices(ctx, name);
      if (!svc.length) throw new ExitError(`nothing found in stack: ${name}`, 1);
      return listTasks(
        ctx,
        rest.filter((a) => a !== name),
        svc,
      );
    }
    case 'rm':
    case 'remove':
    case 'down': {
      const p = parseArgs(rest, [{ name: 'detach', short: 'd', type: 'bool' }]);
      if (!p.positionals.length) throw new UsageError('"flotilla stack rm" requires at least 1 argument.');
      await requireManager(ctx);
      let code = 0;
      for (const name of p.positionals) {
        const svc = await stackServices(ctx, name);
        const secrets = await stackObjectsOrNone(ctx, 'secret', name);
        const configs = await stackObjectsOrNone(ctx, 'config', name);
        const nets = await ctx.client.json<{ Id: string; Name: string; Labels?: Record<string, string> }[]>(
          'GET',
          '/networks',
        );
        const mine = nets.filter((n) => n.Labels?.[NAMESPACE_LABEL] === name);
        if (svc.length + secrets.length + configs.length + mine.length === 0) {
          err(ctx, `Nothing found in stack: ${name}`);
          code = 1;
          continue;
        }
        for (const s of svc.sort((a, b) => (a.Spec.Name < b.Spec.Name ? -1 : 1))) {
          out(ctx, `Removing service ${s.Spec.Name}`);
          await ctx.client.call('DELETE', `/services/${s.ID}`);
        }
        // docker's order: services, secrets, configs, networks.
        if (!(await removeObjects(ctx, 'secret', secrets))) code = 1;
        if (!(await removeObjects(ctx, 'config', configs))) code = 1;
        // The stack's networks go once their containers are gone (docker removes them right away).
        const deadline = Date.now() + 30_000;
        for (const n of mine) {
          out(ctx, `Removing network ${n.Name}`);
          for (;;) {
            try {
              await ctx.client.call('DELETE', `/networks/${n.Id}`);
              break;
            } catch (e) {
              if (!(e instanceof DaemonError) || e.status !== 409 || Date.now() > deadline) {
                err(ctx, `Failed to remove network ${n.Name}: ${(e as Error).message}`);
                code = 1;
                break;
              }
              await new Promise((r) => setTimeout(r, 100));
            }
          }
        }
      }
      return code;
    }
    default:
      throw new UsageError(
        sub
          ? `flotilla stack: '${sub}' is not a flotilla command.`
          : 'Usage:  flotilla stack COMMAND\n\nCommands:\n  deploy    Deploy a new stack or update an existing stack\n  ls        List stacks\n  ps        List the tasks in the stack\n  rm        Remove one or more stacks\n  services  List the services in the stack',
      );
  }
}
