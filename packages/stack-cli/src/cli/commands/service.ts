// flotilla service create | ls | ps | inspect | scale | update | rollback | rm
import { UsageError, bool, list, onePositional, parseArgs, str } from '../args';
import { DaemonError } from '../client';
import { type Ctx, ExitError, out, err } from '../io';
import { parseTime } from '../time-flag';
import { demux } from '../stdcopy';
import { renderTemplate } from '../template';
import { waitConverged } from './converge';
import { SPEC_FLAGS, type Spec, applyFlags } from './service-flags';
import { listServices, listTasks } from './service-list';
import { REF_CREATE_FLAGS, REF_UPDATE_FLAGS, applyRefFlags } from './service-refs';
import type { ApiService } from './swarm-shapes';

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
      const p = parseArgs(rest, [...SPEC_FLAGS, ...REF_CREATE_FLAGS], { interspersed: false });
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
      await applyRefFlags(ctx, p, spec.TaskTemplate.ContainerSpec, false);
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
        ...REF_UPDATE_FLAGS,
        { name: 'image', type: 'string' },
        { name: 'force', type: 'bool' },
        { name: 'args', type: 'string' },
        { name: 'env-rm', type: 'list' },
        { name: 'rollback', type: 'bool' },
      ]);
      const ref = onePositional(p, '"flotilla service update" requires exactly 1 argument.');
      const s = await getService(ctx, ref);
      const spec = JSON.parse(JSON.stringify(s.Spec)) as Spec;
      applyFlags(p, spec, true);
      await applyRefFlags(ctx, p, spec.TaskTemplate.ContainerSpec, true);
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
      out(ctx, ref);
      return 0;
    }
    case 'rollback': {
      const p = parseArgs(rest, [
        { name: 'detach', short: 'd', type: 'bool' },
        { name: 'quiet', short: 'q', type: 'bool' },
      ]);
      const ref = onePositional(p, '"flotilla service rollback" requires exactly 1 argument.');
      const s = await getService(ctx, ref);
      await updateService(ctx, s, s.Spec as Spec, {
        rollback: true,
        detach: bool(p, 'detach'),
        quiet: bool(p, 'quiet'),
      });
      out(ctx, ref);
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
      const s = await getService(ctx, onePositional(p, '"flotilla service logs" requires exactly 1 argument.'));
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
