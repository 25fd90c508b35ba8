import {
  muxFrame,
  readJson,
  sendError,
  sendJson,
  qBool,
  qFilters,
  type Router,
  type RouteContext,
} from '@flotilla/engine-core';
import {
  CLUSTER_OBJECT_ID,
  ControlError,
  DEFAULT_SWARM_ADDR_POOL,
  DEFAULT_SWARM_SUBNET_SIZE,
  findService,
  updatedClusterSpec,
  InvalidJoinTokenError,
  NameConflictError,
  NotSwarmManagerError,
  ObjectNotFoundError,
  VersionConflictError,
  type ServiceSpec,
} from '@flotilla/manager';
import { z } from 'zod';
import { SwarmStateError, type SwarmNode } from '../node/swarm-node';
import { labelsMatch, matchFilters, nodeToApi, parseDesiredState, serviceToApi, taskToApi } from './shapes';

const initBody = z
  .object({
    ListenAddr: z.string().optional(),
    AdvertiseAddr: z.string().optional(),
    ForceNewCluster: z.boolean().optional(),
    DataPathAddr: z.string().optional(),
    DefaultAddrPool: z.array(z.string()).nullish(),
    SubnetSize: z.number().int().nullish(),
  })
  .passthrough();
const joinBody = z
  .object({
    ListenAddr: z.string().optional(),
    AdvertiseAddr: z.string().optional(),
    RemoteAddrs: z.array(z.string()).min(1, 'RemoteAddrs: give at least one manager address'),
    JoinToken: z.string().min(1),
  })
  .passthrough();
const serviceSpec = z
  .object({
    Name: z.string(),
    TaskTemplate: z.object({ ContainerSpec: z.object({ Image: z.string() }).passthrough() }).passthrough(),
    Mode: z
      .union([
        z.object({ Replicated: z.object({ Replicas: z.number() }) }),
        z.object({ Global: z.object({}).passthrough() }),
      ])
      .optional(),
  })
  .passthrough();
const nodeSpec = z.object({
  Name: z.string().optional(),
  Labels: z.record(z.string(), z.string()).optional(),
  Role: z.enum(['worker', 'manager']),
  Availability: z.enum(['active', 'pause', 'drain']),
});

function statusOf(e: unknown): number {
  if (e instanceof NotSwarmManagerError) return 503;
  if (e instanceof SwarmStateError || e instanceof ControlError) return e.status;
  if (e instanceof ObjectNotFoundError) return 404;
  if (e instanceof NameConflictError) return 409;
  if (e instanceof InvalidJoinTokenError || e instanceof VersionConflictError) return 400;
  const s = (e as { status?: unknown }).status;
  return typeof s === 'number' ? s : 500;
}

/** Docker Engine API v1.41 swarm routes, answered by this node's SwarmNode. */
export function swarmRoutes(router: Router, node: SwarmNode): void {
  const route = (method: string, path: string, fn: (ctx: RouteContext) => Promise<unknown>, status = 200) =>
    router.add(method, path, async (ctx) => {
      try {
        const body = await fn(ctx);
        if (!ctx.res.headersSent) sendJson(ctx.res, status, body ?? null);
      } catch (e) {
        sendError(ctx.res, statusOf(e), (e as Error).message);
      }
    });

  // Reads are served from this manager's replica after a Raft read barrier (ReadIndex): what a
  // client wrote through any manager is visible, and without a leader a read fails like docker's.
  const reader = async () => {
    const m = node.requireManager();
    await m.barrier();
    return m;
  };

  route('GET', '/swarm', async () => {
    const m = await reader();
    const c = m.store.state.get('clusters', CLUSTER_OBJECT_ID)!;
    return {
      ID: m.state.clusterId,
      Version: c.Version,
      CreatedAt: c.CreatedAt,
      UpdatedAt: c.UpdatedAt,
      Spec: c.Spec,
      DefaultAddrPool: c.DefaultAddrPool ?? DEFAULT_SWARM_ADDR_POOL,
      SubnetSize: c.SubnetSize ?? DEFAULT_SWARM_SUBNET_SIZE,
      JoinTokens: { Worker: m.joinToken('worker'), Manager: m.joinToken('manager') },
      RootRotationInProgress: false,
    };
  });
  route('POST', '/swarm/init', async ({ req }) => node.init(await readJson(req, initBody)));
  route('POST', '/swarm/join', async ({ req }) => {
    await node.join(await readJson(req, joinBody));
    return null;
  });
  route('POST', '/swarm/leave', async ({ query }) => {
    await node.leave(qBool(query, 'force'));
    return null;
  });
  route('POST', '/swarm/update', async ({ req, query }) => {
    const m = node.requireManager();
    const body = await readJson(req, z.unknown());
    const version = Number(query.get('version'));
    if (!Number.isInteger(version))
      throw new ControlError(
        'the version query parameter is required: inspect the swarm and pass its Version.Index',
        400,
      );
    await m.store.update((tx) => {
      const c = tx.get('clusters', CLUSTER_OBJECT_ID)!;
      tx.update('clusters', { ...c, Spec: updatedClusterSpec(c, body), UpdatedAt: new Date().toISOString() }, version);
    });
    if (qBool(query, 'rotateWorkerToken')) await m.rotateJoinToken('worker');
    if (qBool(query, 'rotateManagerToken')) await m.rotateJoinToken('manager');
    return null;
  });

  route('GET', '/services', async ({ query }) => {
    const m = await reader();
    const f = qFilters(query);
    const tasks = qBool(query, 'status') ? m.store.state.list('tasks') : undefined;
    const nodes = m.store.state.list('nodes');
    return m.store.state
      .list('services')
      .filter(
        (s) =>
          matchFilters(f, (k) =>
            k === 'name'
              ? [s.Spec.Name]
              : k === 'id'
                ? [s.ID]
                : k === 'mode'
                  ? ['Replicated' in s.Spec.Mode ? 'replicated' : 'global']
                  : null,
          ) &&
          (!f?.label || labelsMatch(s.Spec.Labels, f.label)),
      )
      .map((s) => serviceToApi(s, tasks, nodes));
  });
  route(
    'POST',
    '/services/create',
    async ({ req }) => ({
      ...(await node.requireManager().services.create((await readJson(req, serviceSpec)) as unknown as ServiceSpec)),
      Warnings: null,
    }),
    201,
  );
  route('GET', '/services/{id}', async ({ params }) => (await reader()).services.inspect(params.id!));
  route('POST', '/services/{id}/update', async ({ req, params, query }) => {
    const version = Number(query.get('version'));
    if (!Number.isInteger(version))
      throw new ControlError(
        'the version query parameter is required: inspect the service and pass its Version.Index',
        400,
      );
    const spec = (await readJson(req, serviceSpec)) as unknown as ServiceSpec;
    return node
      .requireManager()
      .services.update(params.id!, version, spec, { rollback: query.get('rollback') === 'previous' });
  });
  router.add('GET', '/services/{id}/logs', async ({ res, params, query, signal }) => {
    let first = true;
    try {
      const tail = query.get('tail');
      const sinceText = query.get('since');
      const since = sinceText ? Number(sinceText) : undefined;
      if (since !== undefined && !Number.isFinite(since))
        throw new ControlError(`invalid value for since: ${sinceText} (use unix seconds)`, 400);
      for await (const e of node.serviceLogs(params.id!, {
        follow: qBool(query, 'follow'),
        tail: tail && tail !== 'all' ? Number(tail) : undefined,
        timestamps: qBool(query, 'timestamps'),
        since,
        raw: qBool(query, 'raw'),
        noTaskIds: qBool(query, 'noTaskIds'),
        noTrunc: qBool(query, 'noTrunc'),
        signal,
      })) {
        if (first) {
          res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
          first = false;
        }
        if (
          (e.stream === 'stdout' && !qBool(query, 'stdout', true)) ||
          (e.stream === 'stderr' && !qBool(query, 'stderr', true))
        )
          continue;
        res.write(muxFrame(e.stream, Buffer.from(e.line)));
      }
      if (first) res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
      res.end();
    } catch (e) {
      sendError(res, statusOf(e), (e as Error).message);
    }
  });
  route('DELETE', '/services/{id}', async ({ params }) => {
    await node.requireManager().services.remove(params.id!);
    return null;
  });

  route('GET', '/tasks', async ({ query }) => {
    const m = await reader();
    const f = qFilters(query);
    const services = m.store.state.list('services');
    const serviceIds = f?.service?.map((ref) => {
      try {
        return findService({ get: (t, id) => m.store.state.get(t, id), list: (t) => m.store.state.list(t) }, ref).ID;
      } catch {
        return ref;
      }
    });
    return m.store.state
      .list('tasks')
      .filter((t) => {
        const svcName = services.find((s) => s.ID === t.ServiceID)?.Spec.Name ?? '';
        return (
          matchFilters({ ...f, ...(serviceIds ? { service: serviceIds } : {}) }, (k) => {
            switch (k) {
              case 'service':
                return [t.ServiceID];
              case 'node':
                return [t.NodeID ?? '', m.store.state.get('nodes', t.NodeID ?? '')?.Description.Hostname ?? ''];
              case 'desired-state':
                return null;
              case 'id':
                return [t.ID];
              case 'name':
                return [`${svcName}.${t.Slot ?? t.NodeID}`];
              default:
                return null;
            }
          }) &&
          (!f?.['desired-state'] || f['desired-state'].map(parseDesiredState).includes(t.DesiredState))
        );
      })
      .map(taskToApi);
  });
  route('GET', '/tasks/{id}', async ({ params }) => {
    const t = (await reader()).store.state.get('tasks', params.id!);
    if (!t) throw new ControlError(`task ${params.id} not found`, 404);
    return taskToApi(t);
  });

  route('GET', '/nodes', async () => {
    const m = await reader();
    return m.store.state.list('nodes').map((n) => nodeToApi(n, m.managerStatus(n)));
  });
  route('GET', '/nodes/{id}', async ({ params }) => {
    const m = await reader();
    const n = findNode(m, params.id!);
    return nodeToApi(n, m.managerStatus(n));
  });
  route('POST', '/nodes/{id}/update', async ({ req, params, query }) => {
    const m = node.requireManager();
    const version = Number(query.get('version'));
    const spec = await readJson(req, nodeSpec);
    let n = findNode(m, params.id!);
    if (Number.isInteger(version) && version !== n.Version.Index)
      throw new VersionConflictError('nodes', n.ID, version, n.Version.Index);
    if (n.Spec.Role === 'manager' && spec.Role === 'worker') {
      // Demotion leaves Raft first (refused if it would cost the quorum), then the node renews as a
      // worker. Meanwhile the leader may have touched the node (its session moved): write on top.
      await m.removeManager(n.ID);
      for (let attempt = 0; ; attempt++) {
        await m.barrier();
        n = findNode(m, n.ID);
        try {
          await m.store.update((tx) =>
            tx.update('nodes', { ...n, Spec: { ...n.Spec, ...spec, Labels: spec.Labels ?? {} } }),
          );
          return null;
        } catch (e) {
          if (!(e instanceof VersionConflictError) || attempt >= 5) throw e;
        }
      }
    }
    await m.store.update((tx) => tx.update('nodes', { ...n, Spec: { ...n.Spec, ...spec, Labels: spec.Labels ?? {} } }));
    return null;
  });
  route('DELETE', '/nodes/{id}', async ({ params, query }) => {
    const m = node.requireManager();
    const n = findNode(m, params.id!);
    if (n.ID === m.nodeId || n.Spec.Role === 'manager' || m.raftStatus().members.some((x) => x.id === n.ID))
      throw new ControlError(
        `rpc error: node ${n.ID} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
        400,
      );
    if (n.Status.State !== 'down' && !qBool(query, 'force')) {
      throw new ControlError(
        `node ${n.ID} is not down and can't be removed: stop its daemon first, or use --force`,
        400,
      );
    }
    await m.store.update((tx) => tx.delete('nodes', n.ID));
    return null;
  });
}

function findNode(m: ReturnType<SwarmNode['requireManager']>, ref: string) {
  const nodes = m.store.state.list('nodes');
  const n =
    nodes.find((x) => x.ID === ref) ??
    nodes.find((x) => x.Description.Hostname === ref) ??
    (nodes.filter((x) => x.ID.startsWith(ref)).length === 1 ? nodes.find((x) => x.ID.startsWith(ref)) : undefined);
  if (!n) throw new ControlError(`node ${ref} not found`, 404);
  return n;
}
