// Two nodes' worth of routing mesh on 127.0.0.1: node A publishes the port, node B runs the
// task (a TCP server standing in for the container) and a real mutual-TLS tunnel listener with
// certificates issued by a real cluster root CA. Node A reaches B's task only through B's tunnel.
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { createNodeKeyAndCsr, RootCA } from '@flotilla/manager';
import { RoutingMesh } from './routing-mesh';
import { TunnelDialer } from './tunnel-client';
import { decodeReply, encodeRequest, TunnelStatus } from './tunnel-header';
import { TunnelServer } from './tunnel-server';
import type { Backend, TunnelCredentials } from './types';
import { echoThroughSlowReader, patternedPayload } from './__fixtures__/slow-reader';

jest.setTimeout(30_000);

const CLUSTER = 'clusterA';

async function nodeCredentials(
  ca: RootCA,
  nodeId: string,
  clusterId = CLUSTER,
  role: 'swarm-worker' | 'swarm-manager' = 'swarm-worker',
): Promise<TunnelCredentials> {
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  return { caCertPem: ca.certPem, keyPem, certPem: await ca.issue(csrPem, { nodeId, role, clusterId }), clusterId };
}

interface TaskServer {
  id: string;
  server: net.Server;
  port: number;
  accepted: number;
}

/** Answers `<id>:<everything the client sent>` once the client has half-closed. */
async function taskServer(id: string): Promise<TaskServer> {
  const t: TaskServer = { id, server: net.createServer({ allowHalfOpen: true }), port: 0, accepted: 0 };
  t.server.on('connection', (s) => {
    t.accepted++;
    s.on('error', () => {});
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => s.end(Buffer.concat([Buffer.from(`${id}:`), ...chunks])));
  });
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r));
  t.port = (t.server.address() as net.AddressInfo).port;
  return t;
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Sends a body, half-closes, reads until closed: the reply (latin1, so binary bodies survive) or an error code. */
function request(port: number, body: string | Buffer = 'ping'): Promise<{ reply: string; error?: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () =>
      resolve(
        error
          ? { reply: Buffer.concat(chunks).toString('latin1'), error }
          : { reply: Buffer.concat(chunks).toString('latin1') },
      ),
    );
    s.end(body);
  });
}

let ca: RootCA;
let credsA: TunnelCredentials;
let credsB: TunnelCredentials;
const cleanup: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  ca = await RootCA.create();
  credsA = await nodeCredentials(ca, 'nodeA', CLUSTER, 'swarm-manager');
  credsB = await nodeCredentials(ca, 'nodeB');
});

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Node B: its tasks (by task ID) and its tunnel listener, which resolves only those. */
async function nodeB(tasks: Record<string, number>, creds = credsB): Promise<{ tunnel: string; server: TunnelServer }> {
  const server = new TunnelServer({ resolve: (taskId, port) => (tasks[taskId] === port ? '127.0.0.1' : undefined) });
  const port = await server.listen(creds, 0, '127.0.0.1');
  cleanup.push(() => server.close());
  return { tunnel: `127.0.0.1:${port}`, server };
}

/** Node A: a mesh publishing a port for service web with the given backends. */
async function nodeA(
  backends: Backend[],
  opts: ConstructorParameters<typeof RoutingMesh>[0] = {},
  creds: TunnelCredentials | undefined = credsA,
): Promise<{ mesh: RoutingMesh; port: number }> {
  const mesh = new RoutingMesh(opts);
  cleanup.push(() => mesh.close());
  if (creds) await mesh.setTunnelCredentials(creds);
  const port = await closedPort();
  await mesh.publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'web');
  await mesh.setBackends('web', 80, backends);
  return { mesh, port };
}

async function tasks(...ids: string[]): Promise<TaskServer[]> {
  const out = await Promise.all(ids.map(taskServer));
  for (const t of out) cleanup.push(() => new Promise((r) => t.server.close(r)));
  return out;
}

const remote = (t: { id: string; port: number }, tunnel: string, node = 'nodeB'): Backend => ({
  taskId: t.id,
  address: '198.19.0.2',
  port: t.port,
  tunnel,
  node,
});

describe.each(['handles', 'sockets'] as const)('routing mesh across nodes (data path %s)', (dataPath) => {
  it("node A's published port reaches a task that only exists behind node B, and round robin takes local and remote replicas in turn", async () => {
    const [onB, onA] = await tasks('taskB', 'taskA');
    const b = await nodeB({ taskB: onB!.port });
    // Both tasks listen on one port number here; the local one is dialled directly by address.
    const { mesh, port } = await nodeA(
      [remote(onB!, b.tunnel), { taskId: 'taskA', address: '127.0.0.1', port: onA!.port }],
      { dataPath },
    );
    const replies: string[] = [];
    for (let i = 0; i < 4; i++) replies.push((await request(port, `r${i}`)).reply);
    expect(replies).toEqual(['taskB:r0', 'taskA:r1', 'taskB:r2', 'taskA:r3']);
    const stats = (await mesh.stats()).services[0]!.backends;
    expect(stats.map((s) => [s.taskId, s.total, s.failed])).toEqual([
      ['taskB', 2, 0],
      ['taskA', 2, 0],
    ]);
  });

  it('carries 4 MiB through the tunnel intact, with a half-close from the client', async () => {
    const [onB] = await tasks('big');
    const b = await nodeB({ big: onB!.port });
    const { port } = await nodeA([remote(onB!, b.tunnel)], { dataPath });
    const body = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE((i * 2654435761) >>> 0, i);
    const r = await request(port, body);
    expect(r.error).toBeUndefined();
    expect(r.reply.length).toBe('big:'.length + body.length);
    expect(Buffer.from(r.reply.slice(4), 'latin1').equals(body)).toBe(true);
  });

  it('fails over to the next replica when a remote task refuses, when its node does not run it, and when its node is gone', async () => {
    const [live] = await tasks('live');
    const deadPort = await closedPort();
    const b = await nodeB({ live: live!.port, dying: deadPort });
    const gone = `127.0.0.1:${await closedPort()}`;
    const { mesh, port } = await nodeA(
      [
        { taskId: 'dying', address: '198.19.0.3', port: deadPort, tunnel: b.tunnel, node: 'nodeB' },
        { taskId: 'stale', address: '198.19.0.4', port: live!.port, tunnel: b.tunnel, node: 'nodeB' },
        { taskId: 'lost', address: '198.19.0.5', port: live!.port, tunnel: gone, node: 'nodeC' },
        remote(live!, b.tunnel),
      ],
      { dataPath },
    );
    const replies = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => request(port, `q${i}`)));
    for (const r of replies) expect(r).toEqual({ reply: expect.stringMatching(/^live:q\d$/) });
    const stats = (await mesh.stats()).services[0]!;
    const by = Object.fromEntries(stats.backends.map((s) => [s.taskId, s]));
    expect(by.dying!.failed).toBeGreaterThan(0);
    expect(by.stale!.failed).toBeGreaterThan(0);
    expect(by.lost!.failed).toBeGreaterThan(0);
    expect(by.live!.total).toBe(6);
    expect(stats.rejected).toBe(0);
  });

  it('with credentials from another cluster node A gets nowhere: the client is reset, the task sees no connection', async () => {
    const [onB] = await tasks('secret');
    const b = await nodeB({ secret: onB!.port });
    const evil = await nodeCredentials(await RootCA.create(), 'nodeA');
    const { port } = await nodeA([remote(onB!, b.tunnel)], { dataPath }, evil);
    const r = await request(port);
    expect(r.reply).toBe('');
    expect(r.error).toBe('ECONNRESET');
    expect(onB!.accepted).toBe(0);
  });
});

describe('multiplexed tunnel', () => {
  it('every connection from node A to node B shares one TLS connection', async () => {
    const [onB] = await tasks('shared');
    const b = await nodeB({ shared: onB!.port });
    const { port } = await nodeA([remote(onB!, b.tunnel)]);
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => request(port, `m${i}`)));
    expect(replies.every((r, i) => r.reply === `shared:m${i}` && !r.error)).toBe(true);
    expect(b.server.connectionCount).toBe(1);
    expect(onB!.accepted).toBe(50);
  });

  it('carries 8 MiB each way through a slow reader: credit windows, nothing lost or reordered', async () => {
    const echo = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => echo.close(r)));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const b = await nodeB({ echo: echoPort });
    const { port } = await nodeA([remote({ id: 'echo', port: echoPort }, b.tunnel)]);
    const payload = patternedPayload(8 * 1024 * 1024);
    const got = await echoThroughSlowReader(port, payload);
    expect(got.length).toBe(payload.length);
    expect(got.equals(payload)).toBe(true);
  });

  it("a client's reset reaches the task through the tunnel; the tunnel goes on serving others", async () => {
    // A task that streams until its client goes away.
    const hoseSockets = new Set<net.Socket>();
    const hose = net.createServer((s) => {
      hoseSockets.add(s);
      s.on('error', () => {});
      s.on('close', () => hoseSockets.delete(s));
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
      };
      s.on('drain', pump);
      pump();
    });
    await new Promise<void>((r) => hose.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => hose.close(r)));
    const hosePort = (hose.address() as net.AddressInfo).port;
    const [other] = await tasks('other');
    const b = await nodeB({ hose: hosePort, other: other!.port });
    const { mesh, port } = await nodeA([remote({ id: 'hose', port: hosePort }, b.tunnel)]);
    const port2 = await closedPort();
    await mesh.publish({ published: port2, target: 81, protocol: 'tcp', hostIp: '127.0.0.1' }, 'other');
    await mesh.setBackends('other', 81, [remote(other!, b.tunnel)]);
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const c = net.connect(port, '127.0.0.1');
        let n = 0;
        c.on('error', () => {});
        c.on('data', (d) => {
          n += d.length;
          if (n > 256 * 1024) {
            c.resetAndDestroy();
            resolve();
          }
        });
      });
    }
    const until = Date.now() + 5000;
    while (
      (hoseSockets.size > 0 ||
        (await mesh.stats()).services.find((x) => x.serviceId === 'web')!.backends[0]!.active > 0) &&
      Date.now() < until
    )
      await new Promise((r) => setTimeout(r, 20));
    expect(hoseSockets.size).toBe(0);
    expect((await request(port2, 'still there')).reply).toBe('other:still there');
    expect(b.server.connectionCount).toBe(1);
  });

  it('a node that answers nothing costs one connection the timeout; the next ones skip it at once', async () => {
    // Accepts TCP and then says nothing: a host behind a cut link looks like this to TLS.
    const silent = net.createServer((s) => {
      s.on('error', () => {});
      s.resume(); // reads (and so sees the dialer hang up) but never answers
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => silent.close(r)));
    const silentTunnel = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const [live] = await tasks('live');
    const b = await nodeB({ live: live!.port });
    const { port } = await nodeA([
      { taskId: 'lost', address: '198.19.0.9', port: live!.port, tunnel: silentTunnel, node: 'nodeC' },
      remote(live!, b.tunnel),
    ]);
    const t0 = Date.now();
    expect(await request(port, 'first')).toEqual({ reply: 'live:first' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
    const t1 = Date.now();
    for (let i = 0; i < 4; i++) expect(await request(port, `n${i}`)).toEqual({ reply: `live:n${i}` });
    expect(Date.now() - t1).toBeLessThan(800);
  });

  it('when the tunnel connection dies its streams are reset, and the next connection opens a new one', async () => {
    const [onB] = await tasks('phoenix');
    const first = await nodeB({ phoenix: onB!.port });
    const { port } = await nodeA([remote(onB!, first.tunnel)]);
    // An open connection through the tunnel, then node B's listener goes away with it.
    const held = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const heldClosed = new Promise<string>((resolve) => {
      held.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      held.on('close', () => resolve('closed'));
    });
    held.write('partial');
    await new Promise((r) => setTimeout(r, 100));
    expect(onB!.accepted).toBe(1);
    await first.server.close();
    expect(await heldClosed).toBe('ECONNRESET');
    // Node B comes back on the same port (its daemon restarted).
    const again = new TunnelServer({
      resolve: (taskId, p) => (taskId === 'phoenix' && p === onB!.port ? '127.0.0.1' : undefined),
    });
    await again.listen(credsB, Number(first.tunnel.split(':')[1]), '127.0.0.1');
    cleanup.push(() => again.close());
    const until = Date.now() + 5000;
    let r = await request(port, 'back');
    while (r.reply !== 'phoenix:back' && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 100));
      r = await request(port, 'back');
    }
    expect(r).toEqual({ reply: 'phoenix:back' });
  });
});

it('an accept-loop child process gets the tunnel credentials and tunnels too', async () => {
  const [onB] = await tasks('viaChild');
  const b = await nodeB({ viaChild: onB!.port });
  const execArgv = ['-r', join(__dirname, '__fixtures__/register-ts.js')];
  const { mesh, port } = await nodeA([remote(onB!, b.tunnel)], { acceptLoops: 1, execArgv });
  const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => request(port, `c${i}`)));
  expect(replies.every((r) => /^viaChild:c\d+$/.test(r.reply))).toBe(true);
  const stats = await mesh.stats();
  expect(stats.loops).toBe(2);
  expect(stats.services[0]!.backends[0]!.total).toBe(40);
});

describe('the tunnel listener', () => {
  /** Sends a raw tunnel request with the given TLS identity; resolves with the reply status or the failure. */
  function ask(
    tunnel: string,
    creds: TunnelCredentials,
    taskId: string,
    port: number,
    servername = 'nodeB',
  ): Promise<number | string> {
    const [host, p] = tunnel.split(':');
    return new Promise((resolve) => {
      const s = tls.connect({
        host,
        port: Number(p),
        ca: creds.caCertPem,
        cert: creds.certPem,
        key: creds.keyPem,
        servername,
      });
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        const r = decodeReply(got);
        if (r !== 'more') {
          resolve(r.status);
          s.destroy();
        }
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      s.on('close', () => resolve('closed'));
      s.write(encodeRequest({ taskId, port }));
    });
  }

  it('refuses a tunnel to a task it does not run, or to a port the task does not serve; never connects anywhere for it', async () => {
    const [onB] = await tasks('known');
    const b = await nodeB({ known: onB!.port });
    expect(await ask(b.tunnel, credsA, 'unknown', onB!.port)).toBe(TunnelStatus.UNKNOWN_TASK);
    expect(await ask(b.tunnel, credsA, 'known', onB!.port + 1)).toBe(TunnelStatus.UNKNOWN_TASK);
    expect(onB!.accepted).toBe(0);
    // Any role of this cluster may tunnel: a worker certificate as well as a manager one.
    expect(await ask(b.tunnel, await nodeCredentials(ca, 'nodeW'), 'known', onB!.port)).toBe(TunnelStatus.OK);
  });

  it('reports a task that refuses as REFUSED, so the sender can try another replica', async () => {
    const deadPort = await closedPort();
    const b = await nodeB({ dying: deadPort });
    expect(await ask(b.tunnel, credsA, 'dying', deadPort)).toBe(TunnelStatus.REFUSED);
  });

  it('rejects a certificate from another cluster (another root CA) before reading any header', async () => {
    const [onB] = await tasks('known');
    const b = await nodeB({ known: onB!.port });
    const foreign = await nodeCredentials(await RootCA.create(), 'intruder');
    // The intruder trusts our CA (it knows the public certificate) but its own cert is signed elsewhere.
    const r = await ask(b.tunnel, { ...foreign, caCertPem: ca.certPem }, 'known', onB!.port);
    expect(typeof r).toBe('string');
    expect(onB!.accepted).toBe(0);
  });

  it('rejects a certificate of our CA that names another cluster', async () => {
    const [onB] = await tasks('known');
    const b = await nodeB({ known: onB!.port });
    const other = await nodeCredentials(ca, 'nodeX', 'clusterB');
    expect(typeof (await ask(b.tunnel, other, 'known', onB!.port))).toBe('string');
    expect(onB!.accepted).toBe(0);
  });

  it("the dialer checks that the tunnel's certificate belongs to the node the view names", async () => {
    const [onB] = await tasks('known');
    const b = await nodeB({ known: onB!.port });
    const dialer = new TunnelDialer();
    dialer.setCredentials(credsA);
    const dial = (node: string) =>
      new Promise<string>((resolve) =>
        dialer.dial(
          { taskId: 'known', address: '198.19.0.2', port: onB!.port, tunnel: b.tunnel, node },
          3000,
          (s, why) => {
            s?.reset();
            resolve(s ? 'ok' : (why ?? ''));
          },
        ),
      );
    expect(await dial('nodeB')).toBe('ok');
    expect(await dial('nodeC')).toMatch(/nodeC/);
  });
});
