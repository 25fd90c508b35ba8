// Docker Engine API v1.41 swarm routes: each parses the request, calls this node's manager's
// control API (or the SwarmNode for membership) and sends the answer as JSON. No logic of its own.
import {
  InvalidArgumentError,
  muxFrame,
  readJson,
  sendError,
  sendJson,
  sendNoContent,
  qBool,
  qFilters,
  type Router,
  type RouteContext,
} from '@flotilla/engine-core';
import { z } from 'zod';
import type { ServerResponse } from 'node:http';
import type { SwarmNode } from '../node/swarm-node';
import type { ServiceLogsRequest } from '../node/service-log-tasks';
import type { ServiceLogLine } from '../peer/service-logs';
import { distributionInspect } from './distribution';
import { taskToApi, timestampFirst } from './shapes';

const initBody = z
  .object({
    ListenAddr: z.string().optional(),
    AdvertiseAddr: z.string().optional(),
    ForceNewCluster: z.boolean().optional(),
    AutoLockManagers: z.boolean().optional(),
    DataPathAddr: z.string().optional(),
    DefaultAddrPool: z.array(z.string()).nullish(),
    SubnetSize: z.number().int().nullish(),
  })
  .passthrough();
const unlockBody = z.object({ UnlockKey: z.string() }).passthrough();
const joinBody = z
  .object({
    ListenAddr: z.string().optional(),
    AdvertiseAddr: z.string().optional(),
    RemoteAddrs: z.array(z.string()).min(1, 'RemoteAddrs: give at least one manager address'),
    JoinToken: z.string().min(1),
  })
  .passthrough();

/** Manager, engine and swarm-state errors carry their HTTP status; anything else is a 500. */
function statusOf(e: unknown): number {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : 500;
}

/** `?version=N`, required by updates of the swarm and of services (docker's optimistic concurrency). */
function requiredVersion(query: URLSearchParams, what: 'swarm' | 'service'): number {
  const version = Number(query.get('version'));
  if (!Number.isInteger(version))
    throw new InvalidArgumentError(
      `the version query parameter is required: inspect the ${what} and pass its Version.Index`,
    );
  return version;
}

/** `?version=N` of a secret or config update: docker's text when it is missing or not a number. */
function dataVersionQuery(query: URLSearchParams, kind: 'secret' | 'config'): number {
  const raw = query.get('version') ?? '';
  const version = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(version)) throw new InvalidArgumentError(`invalid ${kind} version`);
  return version;
}

/** The query of `GET /services/{id}/logs` and `/tasks/{id}/logs` as the node's log options. */
function logOptions(query: URLSearchParams, signal: AbortSignal): ServiceLogsRequest {
  const tail = query.get('tail');
  const sinceText = query.get('since');
  const since = sinceText ? Number(sinceText) : undefined;
  if (since !== undefined && !Number.isFinite(since))
    throw new InvalidArgumentError(`invalid value for since: ${sinceText} (use unix seconds)`);
  const common = {
    follow: qBool(query, 'follow'),
    tail: tail && tail !== 'all' ? Number(tail) : undefined,
    timestamps: qBool(query, 'timestamps'),
    since,
    signal,
  };
  // flotilla's CLI asks for its prefix (raw, noTaskIds, noTrunc); docker's API has lines as
  // written, with docker's details before them when asked (the docker CLI then writes the prefix).
  if (['raw', 'noTaskIds', 'noTrunc'].some((k) => query.has(k)))
    return {
      ...common,
      raw: qBool(query, 'raw'),
      noTaskIds: qBool(query, 'noTaskIds'),
      noTrunc: qBool(query, 'noTrunc'),
    };
  const details = qBool(query, 'details');
  return { ...common, raw: !details, details };
}

/** Sends log lines as docker's multiplexed raw stream (stdout/stderr chosen by the query). */
async function streamLogs(
  res: ServerResponse,
  query: URLSearchParams,
  open: () => AsyncIterable<ServiceLogLine> | Promise<AsyncIterable<ServiceLogLine>>,
): Promise<void> {
  let first = true;
  try {
    for await (const e of await open()) {
      if (first) {
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
        first = false;
      }
      if (
        (e.stream === 'stdout' && !qBool(query, 'stdout', true)) ||
        (e.stream === 'stderr' && !qBool(query, 'stderr', true))
      )
        continue;
      const line = qBool(query, 'details') && qBool(query, 'timestamps') ? timestampFirst(e.line) : e.line;
      res.write(muxFrame(e.stream, Buffer.from(line)));
    }
    if (first) res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
    res.end();
  } catch (e) {
    sendError(res, statusOf(e), (e as Error).message);
  }
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
  const anyBody = z.unknown();

  route('GET', '/swarm', async () => (await reader()).cluster.inspect());
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
    const body = await readJson(req, anyBody);
    await m.cluster.update(requiredVersion(query, 'swarm'), body, {
      rotateManagerUnlockKey: qBool(query, 'rotateManagerUnlockKey'),
    });
    if (qBool(query, 'rotateWorkerToken')) await m.cluster.rotateJoinToken('worker');
    if (qBool(query, 'rotateManagerToken')) await m.cluster.rotateJoinToken('manager');
    return null;
  });

  route('GET', '/swarm/unlockkey', async () => ({ UnlockKey: (await reader()).cluster.unlockKey() }));
  route('POST', '/swarm/unlock', async ({ req }) => {
    await node.unlock((await readJson(req, unlockBody)).UnlockKey);
    return null;
  });

  route('GET', '/services', async ({ query }) =>
    (await reader()).services.list(qFilters(query), { status: qBool(query, 'status') }),
  );
  route(
    'POST',
    '/services/create',
    async ({ req }) => {
      const services = node.requireManager().services;
      return { ...(await services.create(await readJson(req, anyBody))), Warnings: null };
    },
    201,
  );
  route('GET', '/services/{id}', async ({ params }) => (await reader()).services.inspect(params.id ?? ''));
  route('POST', '/services/{id}/update', async ({ req, params, query }) => {
    const version = requiredVersion(query, 'service');
    const spec = await readJson(req, anyBody);
    return node
      .requireManager()
      .services.update(params.id ?? '', version, spec, { rollback: query.get('rollback') === 'previous' });
  });
  // `service logs SERVICE` and `service logs TASK`: one stream format, the second limited to the task.
  router.add('GET', '/services/{id}/logs', async ({ res, params, query, signal }) =>
    streamLogs(res, query, () => node.serviceLogs(params.id ?? '', logOptions(query, signal))),
  );
  router.add('GET', '/tasks/{id}/logs', async ({ res, params, query, signal }) =>
    streamLogs(res, query, async () => {
      const task = (await reader()).tasks.inspect(params.id ?? '');
      return node.serviceLogs(task.ServiceID, { ...logOptions(query, signal), task: task.ID });
    }),
  );
  route('DELETE', '/services/{id}', async ({ params }) => {
    await node.requireManager().services.remove(params.id ?? '');
    return null;
  });

  // Secrets and configs: the same five routes each. A secret's data never leaves the control API.
  for (const [path, kind] of [
    ['/secrets', 'secret'],
    ['/configs', 'config'],
  ] as const) {
    const api = (m: ReturnType<SwarmNode['requireManager']>) => (kind === 'secret' ? m.secrets : m.configs);
    route('GET', path, async ({ query }) => api(await reader()).list(qFilters(query)));
    route(
      'POST',
      `${path}/create`,
      async ({ req }) => api(node.requireManager()).create(await readJson(req, anyBody)),
      201,
    );
    route('GET', `${path}/{id}`, async ({ params }) => api(await reader()).inspect(params.id ?? ''));
    route('DELETE', `${path}/{id}`, async ({ res, params }) => {
      await api(node.requireManager()).remove(params.id ?? '');
      sendNoContent(res);
    });
    // docker answers an update with an empty 200; flotilla's data change rolls the services using it.
    route('POST', `${path}/{id}/update`, async ({ req, res, params, query }) => {
      const version = dataVersionQuery(query, kind);
      const spec = await readJson(req, anyBody);
      await api(node.requireManager()).update(params.id ?? '', version, spec);
      sendNoContent(res, 200);
    });
  }

  route('GET', '/distribution/{name*}/json', async ({ params }) => distributionInspect(params.name ?? ''));

  route('GET', '/tasks', async ({ query }) => (await reader()).tasks.list(qFilters(query)).map(taskToApi));
  route('GET', '/tasks/{id}', async ({ params }) => taskToApi((await reader()).tasks.inspect(params.id ?? '')));

  route('GET', '/nodes', async () => (await reader()).nodes.list());
  route('GET', '/nodes/{id}', async ({ params }) => (await reader()).nodes.inspect(params.id ?? ''));
  route('POST', '/nodes/{id}/update', async ({ req, params, query }) => {
    const m = node.requireManager();
    const version = Number(query.get('version'));
    await m.nodes.update(params.id ?? '', version, await readJson(req, anyBody));
    return null;
  });
  route('DELETE', '/nodes/{id}', async ({ params, query }) => {
    const m = node.requireManager();
    await m.nodes.remove(params.id ?? '', { force: qBool(query, 'force') });
    return null;
  });
}
