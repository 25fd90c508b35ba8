// flotilla machine create | ls | ip | inspect | env | ssh | stop | start | rm | status | url
import * as M from '../../machine';
import { UsageError, bool, onePositional, parseArgs, str } from '../args';
import { type Ctx, ExitError, out } from '../io';
import { renderTable } from '../table';
import { isJsonFormat, renderTemplate } from '../template';

const SUBS = 'create, ls, ip, inspect, env, ssh, stop, start, restart, rm, status, url';

function oneName(p: { positionals: string[] }, sub: string): string {
  return onePositional(p, `"flotilla machine ${sub}" requires exactly 1 argument: the machine's name.`);
}

/** The machine errors are the user's to fix (docker-machine exits 1 on them). */
async function guard<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new ExitError((e as Error).message, 1);
  }
}

function lsRow(m: M.MachineState, active: string | undefined) {
  const state = M.statusOf(m);
  return {
    Name: m.name,
    Active: active === `unix://${m.socket}` ? '*' : '-',
    DriverName: 'netns',
    State: state,
    URL: state === 'Running' ? `unix://${m.socket}` : '',
    Swarm: '',
    DockerVersion: '',
    Error: '',
    IP: m.ip,
  };
}

export async function machine(ctx: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const storage = M.storageOf(ctx.io.env);
  switch (sub) {
    case 'create': {
      const p = parseArgs(rest, [{ name: 'driver', short: 'd', type: 'string' }]);
      const name = oneName(p, 'create');
      const driver = str(p, 'driver');
      if (driver && driver !== 'netns')
        throw new UsageError(`Driver "${driver}" not found: flotilla machines use the "netns" driver`);
      out(ctx, `Creating machine "${name}" (netns driver)...`);
      const m = await guard(() => M.createMachine(storage, name));
      out(
        ctx,
        `Machine "${name}" is up at ${m.ip}, its daemon on unix://${m.socket}.\nTo see how to connect your flotilla client to it, run: flotilla machine env ${name}`,
      );
      return 0;
    }
    case 'ls':
    case 'list': {
      const p = parseArgs(rest, [
        { name: 'format', short: 'f', type: 'string' },
        { name: 'quiet', short: 'q', type: 'bool' },
      ]);
      const rows = (await guard(() => M.listMachines(storage))).map((m) => lsRow(m, ctx.io.env.FLOTILLA_HOST));
      const format = str(p, 'format');
      if (bool(p, 'quiet')) rows.forEach((r) => out(ctx, r.Name));
      else if (format && isJsonFormat(format)) rows.forEach((r) => out(ctx, JSON.stringify(r)));
      else if (format) rows.forEach((r) => out(ctx, renderTemplate(format, r)));
      else
        ctx.io.stdout.write(
          renderTable(
            ['NAME', 'ACTIVE', 'DRIVER', 'STATE', 'URL', 'SWARM', 'DOCKER', 'ERRORS'],
            rows.map((r) => [r.Name, r.Active, r.DriverName, r.State, r.URL, r.Swarm, r.DockerVersion, r.Error]),
          ),
        );
      return 0;
    }
    case 'ip':
    case 'url':
    case 'status':
    case 'env':
    case 'inspect': {
      const p = parseArgs(rest, [{ name: 'format', short: 'f', type: 'string' }]);
      const name = oneName(p, sub);
      const m = await guard(() => M.loadMachine(storage, name));
      if (sub === 'ip') out(ctx, m.ip);
      else if (sub === 'url') out(ctx, `unix://${m.socket}`);
      else if (sub === 'status') out(ctx, M.statusOf(m));
      else if (sub === 'env') ctx.io.stdout.write(M.envLines(m));
      else {
        const obj = {
          ...m,
          DriverName: 'netns',
          State: M.statusOf(m),
          Storage: storage,
          LogFile: M.logFileOf(storage, m),
        };
        const format = str(p, 'format');
        out(
          ctx,
          format && !isJsonFormat(format)
            ? renderTemplate(format, obj)
            : JSON.stringify(obj, null, format ? undefined : 4),
        );
      }
      return 0;
    }
    case 'ssh': {
      const [name, ...cmd] = rest;
      if (!name)
        throw new UsageError('"flotilla machine ssh" requires a machine name: flotilla machine ssh NAME [COMMAND...]');
      return guard(() => M.runInMachine(storage, name, cmd.length ? cmd.join(' ') : undefined, ctx.io.env, ctx.io));
    }
    case 'start':
    case 'stop':
    case 'restart': {
      const p = parseArgs(rest, []);
      if (!p.positionals.length) throw new UsageError(`"flotilla machine ${sub}" requires at least 1 argument.`);
      for (const name of p.positionals) {
        out(ctx, `${sub === 'stop' ? 'Stopping' : sub === 'start' ? 'Starting' : 'Restarting'} "${name}"...`);
        if (sub !== 'start') await guard(() => M.stopMachine(storage, name));
        if (sub !== 'stop') await guard(() => M.startMachine(storage, name));
      }
      return 0;
    }
    case 'rm':
    case 'remove': {
      const p = parseArgs(rest, [
        { name: 'force', short: 'f', type: 'bool' },
        { name: 'y', short: 'y', type: 'bool' },
      ]);
      if (!p.positionals.length) throw new UsageError('"flotilla machine rm" requires at least 1 argument.');
      let code = 0;
      for (const name of p.positionals) {
        try {
          await M.removeMachine(storage, name);
          out(ctx, `Successfully removed ${name}`);
        } catch (e) {
          if (!bool(p, 'force') || !(e instanceof M.MachineNotFoundError)) {
            ctx.io.stderr.write(`Error removing host "${name}": ${(e as Error).message}\n`);
            code = 1;
          }
        }
      }
      return code;
    }
    default:
      ctx.io.stdout.write(
        `Usage:  flotilla machine COMMAND\n\nManage local machines (network namespaces, each with its own flotilla daemon)\n\nCommands: ${SUBS}\n`,
      );
      return sub ? 1 : 0;
  }
}
