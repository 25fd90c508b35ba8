// flotilla node ls | inspect | update | promote | demote | rm | ps
import { UsageError, bool, list, onePositional, parseArgs, str } from '../args';
import { type Ctx, out } from '../io';
import { renderTable } from '../table';
import { renderRows, renderTemplate } from '../template';

/** docker's column headers for the node ls --format fields. */
const NODE_HEADERS = {
  ID: 'ID',
  Hostname: 'HOSTNAME',
  Status: 'STATUS',
  Availability: 'AVAILABILITY',
  ManagerStatus: 'MANAGER STATUS',
  EngineVersion: 'ENGINE VERSION',
};
import { cap, type ApiNode } from './swarm-shapes';

async function self(ctx: Ctx): Promise<string> {
  return (await ctx.client.json<{ Swarm: { NodeID: string } }>('GET', '/info')).Swarm.NodeID;
}

export async function node(ctx: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'ls':
    case 'list': {
      const p = parseArgs(rest, [
        { name: 'quiet', short: 'q', type: 'bool' },
        { name: 'format', type: 'string' },
      ]);
      const nodes = (await ctx.client.json<ApiNode[]>('GET', '/nodes')).sort((a, b) =>
        a.Description.Hostname < b.Description.Hostname ? -1 : 1,
      );
      if (bool(p, 'quiet')) {
        for (const n of nodes) out(ctx, n.ID);
        return 0;
      }
      const me = await self(ctx);
      const rows = nodes.map((n) => ({
        ID: `${n.ID}${n.ID === me ? ' *' : ''}`,
        Hostname: n.Description.Hostname,
        Status: cap(n.Status.State),
        Availability: cap(n.Spec.Availability),
        ManagerStatus: n.ManagerStatus ? (n.ManagerStatus.Leader ? 'Leader' : cap(n.ManagerStatus.Reachability)) : '',
        EngineVersion: n.Description.Engine.EngineVersion,
      }));
      const format = str(p, 'format');
      if (format && format !== 'table') ctx.io.stdout.write(renderRows(format, rows, NODE_HEADERS));
      else
        ctx.io.stdout.write(
          renderTable(
            ['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS', 'ENGINE VERSION'],
            rows.map((r) => [r.ID, r.Hostname, r.Status, r.Availability, r.ManagerStatus, r.EngineVersion]),
          ),
        );
      return 0;
    }
    case 'inspect': {
      const p = parseArgs(rest, [
        { name: 'format', short: 'f', type: 'string' },
        { name: 'pretty', type: 'bool' },
      ]);
      const refs = p.positionals.map((r) => r);
      if (!refs.length) throw new UsageError('"flotilla node inspect" requires at least 1 argument.');
      const me = await self(ctx);
      const found = await Promise.all(
        refs.map((r) => ctx.client.json<ApiNode>('GET', `/nodes/${encodeURIComponent(r === 'self' ? me : r)}`)),
      );
      const format = str(p, 'format');
      if (format === 'json') for (const n of found) out(ctx, JSON.stringify(n));
      else if (format) for (const n of found) out(ctx, renderTemplate(format, n));
      else out(ctx, JSON.stringify(found, null, 4));
      return 0;
    }
    case 'update': {
      const p = parseArgs(rest, [
        { name: 'availability', type: 'string' },
        { name: 'label-add', type: 'list' },
        { name: 'label-rm', type: 'list' },
        { name: 'role', type: 'string' },
      ]);
      const ref = onePositional(p, '"flotilla node update" requires exactly 1 argument.');
      const av = str(p, 'availability');
      if (av && !['active', 'pause', 'drain'].includes(av))
        throw new UsageError(`invalid availability "${av}": use active, pause or drain`);
      await updateNode(ctx, ref, (n) => {
        const spec = { ...n.Spec, Labels: { ...n.Spec.Labels } };
        if (av) spec.Availability = av;
        const role = str(p, 'role');
        if (role) spec.Role = role;
        for (const l of list(p, 'label-add')) {
          const eq = l.indexOf('=');
          spec.Labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
        }
        for (const l of list(p, 'label-rm')) delete spec.Labels[l];
        return spec;
      });
      out(ctx, ref);
      return 0;
    }
    case 'promote':
    case 'demote': {
      // Like docker: a role change through POST /nodes/{id}/update, one node after the other.
      const to = sub === 'promote' ? 'manager' : 'worker';
      const p = parseArgs(rest, []);
      if (!p.positionals.length)
        throw new UsageError(
          `"flotilla node ${sub}" requires at least 1 argument.\nUsage:  flotilla node ${sub} NODE [NODE...]`,
        );
      for (const ref of p.positionals) {
        const changed = await updateNode(ctx, ref, (n) => (n.Spec.Role === to ? null : { ...n.Spec, Role: to }));
        if (!changed) out(ctx, `Node ${ref} is already a ${to}.`);
        else
          out(
            ctx,
            to === 'manager'
              ? `Node ${ref} promoted to a manager in the swarm.`
              : `Manager ${ref} demoted in the swarm.`,
          );
      }
      return 0;
    }
    case 'rm':
    case 'remove': {
      const p = parseArgs(rest, [{ name: 'force', short: 'f', type: 'bool' }]);
      if (!p.positionals.length) throw new UsageError('"flotilla node rm" requires at least 1 argument.');
      for (const ref of p.positionals) {
        await ctx.client.call('DELETE', `/nodes/${encodeURIComponent(ref)}`, { query: { force: bool(p, 'force') } });
        out(ctx, ref);
      }
      return 0;
    }
    default:
      throw new UsageError(
        sub
          ? `flotilla node: '${sub}' is not a flotilla command.`
          : 'Usage:  flotilla node COMMAND\n\nCommands:\n  demote   Demote one or more nodes from manager in the swarm\n  inspect  Display detailed information on one or more nodes\n  ls       List nodes in the swarm\n  promote  Promote one or more nodes to manager in the swarm\n  rm       Remove one or more nodes from the swarm\n  update   Update a node',
      );
  }
}

type VersionedNode = ApiNode & { Version: { Index: number } };

/**
 * Read, change, write with the version read. A node's object also changes with its status
 * (heartbeats, reachability), so a write can lose the race; unlike docker, which then fails with
 * "update out of sequence", we read it again and reapply the change a few times.
 * `change` returns the new spec, or null when there is nothing to do.
 */
async function updateNode(
  ctx: Ctx,
  ref: string,
  change: (n: VersionedNode) => VersionedNode['Spec'] | null,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const n = await ctx.client.json<VersionedNode>('GET', `/nodes/${encodeURIComponent(ref)}`);
    const spec = change(n);
    if (!spec) return false;
    try {
      await ctx.client.call('POST', `/nodes/${n.ID}/update`, { query: { version: n.Version.Index }, body: spec });
      return true;
    } catch (e) {
      if (attempt >= 5 || !/update out of sequence/.test((e as Error).message)) throw e;
    }
  }
}
