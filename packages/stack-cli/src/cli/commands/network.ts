// network create | ls | rm | inspect.
import { UsageError, bool, list, parseArgs, str } from '../args';
import { forEachArg } from '../each';
import { type Ctx, out } from '../io';
import { renderTable } from '../table';
import { renderRows } from '../template';

/** docker's column headers for the network ls --format fields. */
const NETWORK_HEADERS = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};
import { keyValues } from '../key-values';
import { inspectEach } from './object-inspect';

type Json = Record<string, unknown>;

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
          Labels: keyValues(list(p, 'label')),
          Options: keyValues(list(p, 'opt')),
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
        ctx.io.stdout.write(renderRows(format, rows, NETWORK_HEADERS));
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
