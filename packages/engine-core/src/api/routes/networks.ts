// /networks/...: translate HTTP to the network service.
import type { NetworkService } from '../../network/types';
import type { Router } from '../router';
import { qFilters, readJson, sendJson, sendNoContent } from '../http';
import { networkCreateSchema } from '../schemas';

export function networkRoutes(r: Router, n: NetworkService): void {
  r.add('GET', '/networks', async ({ res, query }) => {
    const filters = qFilters(query);
    let list = await n.list();
    if (filters?.name) list = list.filter((x) => filters.name!.some((f) => x.Name.includes(f)));
    if (filters?.id) list = list.filter((x) => filters.id!.some((f) => x.Id.startsWith(f)));
    if (filters?.driver) list = list.filter((x) => filters.driver!.includes(x.Driver));
    // label=KEY or label=KEY=VALUE, every one must match (docker's semantics).
    if (filters?.label) {
      list = list.filter((x) =>
        filters.label!.every((l) => {
          const eq = l.indexOf('=');
          return eq < 0 ? l in x.Labels : x.Labels[l.slice(0, eq)] === l.slice(eq + 1);
        }),
      );
    }
    sendJson(
      res,
      200,
      list.map(({ bridge: _b, ...rest }) => rest),
    );
  });

  r.add('POST', '/networks/create', async ({ req, res }) => {
    const b = await readJson(req, networkCreateSchema, null);
    const cfg = b.IPAM?.Config?.[0];
    const net = await n.create({
      name: b.Name,
      driver: b.Driver,
      subnet: cfg?.Subnet,
      gateway: cfg?.Gateway,
      ipRange: cfg?.IPRange,
      internal: b.Internal,
      labels: b.Labels ?? undefined,
      options: b.Options ?? undefined,
      attachable: b.Attachable,
    });
    sendJson(res, 201, { Id: net.Id, Warning: '' });
  });

  r.add('GET', '/networks/{id}', async ({ res, params }) => {
    const { bridge: _b, ...rest } = await n.inspect(params.id!);
    sendJson(res, 200, rest);
  });

  r.add('DELETE', '/networks/{id}', async ({ res, params }) => {
    await n.remove(params.id!);
    sendNoContent(res);
  });
}
