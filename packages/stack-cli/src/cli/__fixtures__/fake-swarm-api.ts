// For the CLI's unit tests: an in-memory daemon on a unix socket with docker's /secrets, /configs
// and /services shapes (flotilla's DataVersion and in-place data updates included), a request log,
// and the "in use" refusal for a secret or config a service still names.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Obj = {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { Name: string; Labels?: Record<string, string>; Data?: string; [k: string]: unknown };
  DataVersion: number;
};
type Service = { ID: string; Version: { Index: number }; Spec: Record<string, unknown> & { Name: string } };

export interface FakeSwarmApi {
  host: string;
  secrets: Obj[];
  configs: Obj[];
  services: Service[];
  networks: { Id: string; Name: string; Labels?: Record<string, string> }[];
  log: { method: string; path: string; query: Record<string, string>; body?: unknown }[];
  close(): Promise<void>;
}

let counter = 0;
const id = (p: string) => `${p}${String(++counter).padStart(24 - p.length, '0')}`;
const usesOf = (s: Service, kind: string, objId: string) => {
  const cs = (s.Spec.TaskTemplate as { ContainerSpec: Record<string, { SecretID?: string; ConfigID?: string }[]> })
    .ContainerSpec;
  return (kind === 'secrets' ? cs.Secrets : cs.Configs)?.some((r) => (r.SecretID ?? r.ConfigID) === objId);
};

export async function startFakeSwarmApi(): Promise<FakeSwarmApi> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-fake-api-'));
  const api: FakeSwarmApi = {
    host: `unix://${join(dir, 'api.sock')}`,
    secrets: [],
    configs: [],
    services: [],
    networks: [],
    log: [],
    close: async () => {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  let index = 100;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '', 'http://x');
      const path = url.pathname.replace(/^\/v1\.41/, '');
      const query = Object.fromEntries(url.searchParams);
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      api.log.push({ method: req.method!, path, query, ...(body ? { body } : {}) });
      const send = (status: number, v?: unknown) =>
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(v === undefined ? '' : JSON.stringify(v));
      const m = /^\/(secrets|configs|services|networks)(?:\/([^/]+))?(?:\/(create|update))?$/.exec(path);
      if (path === '/info') return send(200, { Swarm: { ControlAvailable: true, NodeID: 'n1' } });
      if (path === '/nodes') return send(200, []);
      if (!m) return send(404, { message: `page not found: ${path}` });
      const [, table, ref, action] = m as unknown as [string, 'secrets' | 'configs' | 'services' | 'networks', string?, string?];
      if (table === 'networks') {
        if (req.method === 'GET') return send(200, api.networks);
        api.networks = api.networks.filter((n) => n.Id !== ref);
        return send(204);
      }
      const list = api[table] as (Obj | Service)[];
      const find = (r: string) => list.find((o) => o.ID === r || o.Spec.Name === r);
      const kind = table.slice(0, -1);
      const shown = (o: Obj | Service) =>
        table === 'secrets' ? { ...o, Spec: { ...o.Spec, Data: undefined } } : o;
      if (req.method === 'GET' && ref === 'create') return send(404, { message: 'no' });
      if (req.method === 'GET' && !ref) {
        const filters = query.filters ? (JSON.parse(query.filters) as Record<string, string[]>) : {};
        const hit = list.filter(
          (o) =>
            (!filters.name || filters.name.some((n) => o.Spec.Name.startsWith(n))) &&
            (!filters.label ||
              filters.label.every((l) => {
                const [k, v] = l.split('=');
                return (o.Spec.Labels as Record<string, string> | undefined)?.[k!] === v;
              })),
        );
        return send(200, hit.map(shown));
      }
      if (req.method === 'GET') {
        const o = find(ref!);
        return o ? send(200, shown(o)) : send(404, { message: `${kind} ${ref} not found` });
      }
      if (req.method === 'POST' && ref === 'create') {
        const spec = body as Obj['Spec'];
        // Like the daemon, a service comes back with ForceUpdate: 0.
        if (table === 'services') spec.TaskTemplate = { ForceUpdate: 0, ...(spec.TaskTemplate as object) };
        if (list.some((o) => o.Spec.Name === spec.Name))
          return send(409, { message: `rpc error: code = AlreadyExists desc = ${kind} ${spec.Name} already exists` });
        const now = new Date().toISOString();
        const o = { ID: id(kind[0]!), Version: { Index: ++index }, CreatedAt: now, UpdatedAt: now, Spec: spec, DataVersion: 1 };
        list.push(o as Obj & Service);
        return send(201, { ID: o.ID });
      }
      if (req.method === 'POST' && action === 'update') {
        const o = find(ref!);
        if (!o) return send(404, { message: `${kind} ${ref} not found` });
        if (Number(query.version) !== o.Version.Index)
          return send(400, { message: `update out of sequence: ${kind} ${ref} is at version ${o.Version.Index}` });
        if (table !== 'services' && (body as Obj['Spec']).Data !== (o as Obj).Spec.Data) (o as Obj).DataVersion++;
        o.Spec = body as Obj['Spec'];
        o.Version = { Index: ++index };
        return send(200, {});
      }
      if (req.method === 'DELETE') {
        const o = find(ref!);
        if (!o) return send(404, { message: `${kind} ${ref} not found` });
        const user = table !== 'services' && api.services.find((s) => usesOf(s, table, o.ID));
        if (user)
          return send(400, { message: `${kind} '${o.Spec.Name}' is in use by the following service: ${user.Spec.Name}` });
        list.splice(list.indexOf(o), 1);
        return send(204);
      }
      send(404, { message: `page not found: ${req.method} ${path}` });
    });
  });
  await new Promise<void>((r) => server.listen(join(dir, 'api.sock'), r));
  return api;
}
