// The getstartedlab visualizer (examples/getstartedlab/visualizer): its pure grouping and
// rendering, then its HTTP server against a fake Engine API on a unix socket (answers, API errors,
// a missing socket, a silent one: the page says why and the server goes on).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, InvalidSettingError } from '../../examples/getstartedlab/visualizer/src/config';
import {
  EngineApiError,
  EngineUnreachableError,
  getJson,
} from '../../examples/getstartedlab/visualizer/src/engine-client';
import { escapeHtml, renderPage, serviceHue } from '../../examples/getstartedlab/visualizer/src/render';
import { createVisualizerServer } from '../../examples/getstartedlab/visualizer/src/server';
import {
  type ApiNode,
  type ApiService,
  type ApiTask,
  buildState,
  shortImage,
  UnexpectedAnswerError,
} from '../../examples/getstartedlab/visualizer/src/state';

const node = (id: string, hostname: string, role: string, extra: Partial<ApiNode> = {}): ApiNode => ({
  ID: id,
  Spec: { Role: role, Availability: 'active' },
  Description: { Hostname: hostname },
  Status: { State: 'ready', Addr: `198.18.0.${id.length}` },
  ...extra,
});
const task = (
  id: string,
  serviceId: string,
  slot: number | undefined,
  nodeId: string | undefined,
  state = 'running',
  desired = 'running',
): ApiTask => ({
  ID: id,
  ServiceID: serviceId,
  ...(slot !== undefined ? { Slot: slot } : {}),
  ...(nodeId !== undefined ? { NodeID: nodeId } : {}),
  Spec: { ContainerSpec: { Image: `img-${serviceId}:1@sha256:${'a'.repeat(64)}` } },
  Status: { State: state },
  DesiredState: desired,
});

const NODES: ApiNode[] = [
  node('w3', 'myvm3', 'worker'),
  node('m1', 'myvm1', 'manager', { ManagerStatus: { Leader: true, Reachability: 'reachable' } }),
  node('w2', 'myvm2', 'worker', {
    Spec: { Role: 'worker', Availability: 'drain' },
    Status: { State: 'down', Addr: '198.18.0.3' },
  }),
];
const SERVICES: ApiService[] = [
  { ID: 'web', Spec: { Name: 'getstartedlab_web' } },
  { ID: 'redis', Spec: { Name: 'getstartedlab_redis' } },
];
const TASKS: ApiTask[] = [
  task('t-web2', 'web', 2, 'w3'),
  task('t-web1', 'web', 1, 'w3', 'starting'),
  task('t-redis', 'redis', 1, 'm1'),
  task('t-old', 'web', 1, 'w3', 'shutdown', 'shutdown'),
  task('t-pending', 'web', 3, undefined, 'pending'),
  { ...task('t-global', 'gone', undefined, 'm1'), ServiceAnnotations: { Name: 'monitor' } },
];

describe('visualizer: grouping (pure)', () => {
  const state = buildState(NODES, SERVICES, TASKS);

  it('makes a column per node, managers first then by hostname, with role, availability, status, leader', () => {
    expect(state.nodes.map((n) => n.hostname)).toEqual(['myvm1', 'myvm2', 'myvm3']);
    expect(state.nodes[0]).toMatchObject({
      id: 'm1',
      role: 'manager',
      availability: 'active',
      status: 'ready',
      leader: true,
    });
    expect(state.nodes[1]).toMatchObject({
      id: 'w2',
      role: 'worker',
      availability: 'drain',
      status: 'down',
      leader: false,
      tasks: [],
    });
  });

  it('puts each task the swarm wants running in its node, named service.slot, image without digest', () => {
    expect(state.nodes[2]!.tasks.map((t) => [t.name, t.image, t.state])).toEqual([
      ['getstartedlab_web.1', 'img-web:1', 'starting'],
      ['getstartedlab_web.2', 'img-web:1', 'running'],
    ]);
    expect(state.nodes[0]!.tasks.map((t) => t.name)).toEqual(['getstartedlab_redis.1', 'monitor']);
  });

  it('leaves out shut-down history and lists tasks without a node apart', () => {
    const all = state.nodes.flatMap((n) => n.tasks.map((t) => t.id));
    expect(all).not.toContain('t-old');
    expect(state.unassigned.map((t) => [t.name, t.state])).toEqual([['getstartedlab_web.3', 'pending']]);
  });

  it('falls back to the node name or ID when a node has no hostname, and copes with empty answers', () => {
    const bare = buildState([{ ID: 'abcdefghijklmnopqrstuvwxy' }], [], []);
    expect(bare.nodes[0]).toMatchObject({
      hostname: 'abcdefghijkl',
      role: 'unknown',
      status: 'unknown',
      leader: false,
      tasks: [],
    });
    expect(buildState([], [], [])).toEqual({ nodes: [], unassigned: [] });
  });

  it('shows fields of unexpected types as text and refuses answers that are not lists', () => {
    const odd = buildState(
      [{ ID: 7, Description: { Hostname: 42 } } as unknown as ApiNode],
      [{ ID: 's', Spec: { Name: { x: 1 } } } as unknown as ApiService],
      [
        {
          ID: 9,
          ServiceID: 's',
          Slot: 1,
          NodeID: 7,
          Spec: { ContainerSpec: { Image: 5 } },
          Status: { State: null },
          DesiredState: 'running',
        } as unknown as ApiTask,
      ],
    );
    expect(odd.nodes[0]).toMatchObject({ id: '7', hostname: '42' });
    expect(odd.nodes[0]!.tasks[0]).toMatchObject({ id: '9', name: '{"x":1}.1', image: '5', state: 'unknown' });
    expect(() => renderPage({ state: odd, refreshSeconds: 5, source: 's', now: new Date() })).not.toThrow();
    expect(() => buildState({ message: 'x' } as unknown as ApiNode[], [], [])).toThrow(UnexpectedAnswerError);
  });

  it('strips a digest from an image reference only', () => {
    expect(shortImage('redis:latest@sha256:00')).toBe('redis:latest');
    expect(shortImage('localhost:5000/get-started:part2')).toBe('localhost:5000/get-started:part2');
    expect(shortImage(undefined)).toBe('');
  });
});

describe('visualizer: the page (pure)', () => {
  const now = new Date('2026-01-02T03:04:05Z');
  const state = buildState(NODES, SERVICES, TASKS);

  it('renders a column per node with its tasks, the leader mark and a self-refresh', () => {
    const html = renderPage({ state, refreshSeconds: 3, source: 'unix:///var/run/flotilla.sock', now });
    expect(html).toContain('<meta http-equiv="refresh" content="3">');
    const columns = [...html.matchAll(/data-hostname="([^"]*)"/g)].map((m) => m[1]);
    expect(columns).toEqual(['myvm1', 'myvm2', 'myvm3', '']);
    const myvm1 = html.slice(html.indexOf('data-hostname="myvm1"'), html.indexOf('data-hostname="myvm2"'));
    expect(myvm1).toContain('&#9733; Leader');
    expect(myvm1).toContain('manager &middot; active &middot; ready');
    expect(myvm1).toContain(
      '<div class="name">getstartedlab_redis.1</div><div class="image">img-redis:1</div><div class="state">running</div>',
    );
    const myvm3 = html.slice(html.indexOf('data-hostname="myvm3"'));
    expect(myvm3).not.toContain('Leader');
    expect(myvm3).toContain('getstartedlab_web.2');
    expect(html.slice(html.indexOf('data-hostname="myvm2"'), html.indexOf('data-hostname="myvm3"'))).toContain(
      'no tasks',
    );
    expect(html).toContain('2026-01-02T03:04:05.000Z');
  });

  it('escapes what comes from the cluster', () => {
    const evil = buildState(
      [node('n', '<script>x</script>', 'worker')],
      [{ ID: 's', Spec: { Name: 'a"b' } }],
      [task('t', 's', 1, 'n')],
    );
    const html = renderPage({ state: evil, refreshSeconds: 5, source: 's', now });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
    expect(html).toContain('a&#34;b.1');
    expect(escapeHtml(`<&>"'`)).toBe('&#60;&#38;&#62;&#34;&#39;');
  });

  it('shows the error and where it read from, instead of columns, when the API could not be read', () => {
    const html = renderPage({
      state: null,
      error: 'cannot connect: boom <x>',
      refreshSeconds: 5,
      source: 'unix:///nope.sock',
      now,
    });
    expect(html).toContain(
      'Cannot read the swarm from the Engine API at unix:///nope.sock:</b> cannot connect: boom &#60;x&#62;',
    );
    expect(html).not.toContain('data-hostname');
    expect(html).toContain('content="5"');
  });

  it('gives each service a stable colour', () => {
    expect(serviceHue('getstartedlab_web')).toBe(serviceHue('getstartedlab_web'));
    expect(serviceHue('getstartedlab_web')).not.toBe(serviceHue('getstartedlab_redis'));
  });
});

describe('visualizer: settings', () => {
  it('defaults to the compose file socket, port 8080 and 5 s', () => {
    expect(configFromEnv({})).toEqual({ socketPath: '/var/run/flotilla.sock', port: 8080, refreshSeconds: 5 });
    expect(configFromEnv({ ENGINE_SOCKET: 'unix:///run/x.sock', PORT: '9000', REFRESH_SECONDS: '2' })).toEqual({
      socketPath: '/run/x.sock',
      port: 9000,
      refreshSeconds: 2,
    });
  });

  it('refuses bad numbers with the setting named', () => {
    expect(() => configFromEnv({ REFRESH_SECONDS: '0' })).toThrow(InvalidSettingError);
    expect(() => configFromEnv({ PORT: 'http' })).toThrow('PORT=http is not valid');
  });
});

// ---- against a fake Engine API on a unix socket ---------------------------------------------
describe('visualizer: HTTP server against a fake Engine API on a unix socket', () => {
  let dir: string;
  let apiSocket: string;
  let api: Server;
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  let visualizer: Server;
  let port: number;
  const seen: string[] = [];

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const healthy = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/nodes') json(res, 200, NODES);
    else if (path === '/services') json(res, 200, SERVICES);
    else if (path === '/tasks') json(res, 200, TASKS);
    else json(res, 404, { message: 'page not found' });
  };

  const get = async (path: string): Promise<{ status: number; type: string; body: string }> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-visualizer-'));
    apiSocket = join(dir, 'api.sock');
    api = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      handler(req, res);
    });
    api.listen(apiSocket);
    await once(api, 'listening');
    visualizer = createVisualizerServer({ socketPath: apiSocket, refreshSeconds: 2, timeoutMs: 500 });
    visualizer.listen(0, '127.0.0.1');
    await once(visualizer, 'listening');
    port = (visualizer.address() as { port: number }).port;
  });

  afterAll(async () => {
    visualizer.closeAllConnections();
    await new Promise((r) => visualizer.close(r));
    api.closeAllConnections();
    await new Promise((r) => api.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    handler = healthy;
    seen.length = 0;
  });

  it('GET /api/state is the state built from /nodes, /services and /tasks', async () => {
    const r = await get('/api/state');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual(buildState(NODES, SERVICES, TASKS));
    expect(seen.sort()).toEqual(['GET /nodes', 'GET /services', 'GET /tasks']);
  });

  it('GET / renders the page from the same answers', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/html');
    expect(r.body).toContain('data-hostname="myvm1"');
    expect(r.body).toContain('getstartedlab_web.2');
    expect(r.body).toContain(`unix://${apiSocket}`);
  });

  it('an API error (not a swarm manager) is shown on the page and in /api/state, 503', async () => {
    handler = (_req, res) => json(res, 503, { message: 'This node is not a swarm manager.' });
    const page = await get('/');
    expect(page.status).toBe(503);
    expect(page.body).toContain('GET /nodes answered 503: This node is not a swarm manager.');
    const state = await get('/api/state');
    expect(state.status).toBe(503);
    expect(JSON.parse(state.body)).toEqual({ message: expect.stringContaining('This node is not a swarm manager.') });
  });

  it('an answer that is not JSON is an API error, not a crash', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.end('<html>');
    };
    const r = await get('/');
    expect(r.status).toBe(503);
    expect(r.body).toContain('not JSON: &#60;html&#62;');
  });

  it('an answer of the wrong shape is shown as an error, and the server goes on', async () => {
    handler = (_req, res) => json(res, 200, { nodes: [] });
    const r = await get('/');
    expect(r.status).toBe(503);
    expect(r.body).toContain('something that is not a list');
    handler = healthy;
    expect((await get('/')).status).toBe(200);
  });

  it('a silent API times out and says so', async () => {
    handler = () => undefined;
    const started = Date.now();
    const r = await get('/api/state');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).message).toContain('no answer within 500 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a missing socket says the socket is not there, and the server still answers afterwards', async () => {
    const missing = createVisualizerServer({ socketPath: join(dir, 'missing.sock'), refreshSeconds: 2 });
    missing.listen(0, '127.0.0.1');
    await once(missing, 'listening');
    try {
      const p = (missing.address() as { port: number }).port;
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${p}/`);
        expect(res.status).toBe(503);
        expect(await res.text()).toContain(
          `${join(dir, 'missing.sock')} does not exist (is it bind-mounted into the container?)`,
        );
      }
    } finally {
      missing.closeAllConnections();
      await new Promise((r) => missing.close(r));
    }
  });

  it('unknown paths are 404 and other methods 405', async () => {
    expect((await get('/nodes')).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' })).status).toBe(405);
    expect(seen).toEqual([]);
  });

  it('getJson names the two failures', async () => {
    handler = (_req, res) => json(res, 500, { message: 'boom' });
    await expect(getJson(apiSocket, '/nodes')).rejects.toThrow(EngineApiError);
    await expect(getJson(join(dir, 'nope.sock'), '/nodes')).rejects.toThrow(EngineUnreachableError);
  });
});
