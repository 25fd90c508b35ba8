// The routing mesh over real sockets on 127.0.0.1: backends are tiny TCP servers that answer
// their own id, clients are plain sockets.
import net from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PortInUseError } from './errors';
import { rawAvailable } from './raw-splice';
import { RoutingMesh } from './routing-mesh';
import type { Backend } from './types';
import { echoThroughSlowReader, patternedPayload } from './__fixtures__/slow-reader';

interface TestBackend extends Backend {
  server: net.Server;
  sockets: Set<net.Socket>;
}

/** Replies `<id>:<everything the client sent>` once the client has half-closed, then ends. */
function echoIdBackend(id: string): Promise<TestBackend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (d.includes('?')) s.write(`${id}\n`); // "?" asks who answers without closing
    });
    s.on('end', () => s.end(`${id}:${Buffer.concat(chunks).toString()}`));
  });
  return listen(server, id, sockets);
}

/** Streams data until the client goes away. */
function firehoseBackend(id: string): Promise<TestBackend> {
  const sockets = new Set<net.Socket>();
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    const pump = () => {
      while (!s.destroyed && s.write(chunk));
    };
    s.on('drain', pump);
    pump();
  });
  return listen(server, id, sockets);
}

function listen(server: net.Server, id: string, sockets: Set<net.Socket>): Promise<TestBackend> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ taskId: id, address: '127.0.0.1', port: (server.address() as net.AddressInfo).port, server, sockets }),
    ),
  );
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Sends a body, half-closes, and reads until the proxy closes: the full reply, or an error code. */
function request(port: number, body = 'ping'): Promise<{ reply: string; error?: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let reply = '';
    let error: string | undefined;
    s.on('data', (d) => (reply += d.toString()));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () => resolve({ reply, error }));
    s.end(body);
  });
}

/** An open connection that has been told which backend serves it. */
function openHeld(port: number): Promise<{ socket: net.Socket; id: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    s.once('error', reject);
    s.once('data', (d) => resolve({ socket: s, id: d.toString().trim() }));
    s.write('?');
  });
}

async function until(cond: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const servers: TestBackend[] = [];
const meshes: RoutingMesh[] = [];
const clients: net.Socket[] = [];

async function setup(n: number, opts: ConstructorParameters<typeof RoutingMesh>[0]) {
  const backends = await Promise.all(Array.from({ length: n }, (_, i) => echoIdBackend(`task${i + 1}`)));
  servers.push(...backends);
  const mesh = new RoutingMesh(opts);
  meshes.push(mesh);
  const port = await closedPort();
  await mesh.publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'web');
  await mesh.setBackends('web', 80, backends);
  return { mesh, port, backends };
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(meshes.splice(0).map((m) => m.close()));
  for (const b of servers.splice(0)) {
    for (const s of b.sockets) s.destroy();
    await new Promise<void>((r) => b.server.close(() => r()));
  }
});

it('the fast data path (libuv handles) is available on this Node, so the "handles" tests below exercise it', () => {
  expect(rawAvailable).toBe(true);
});

describe.each(['handles', 'sockets'] as const)('RoutingMesh (in-process accept loop, data path %s)', (dataPath) => {
  it('spreads connections round robin over the replicas, each answering with its own id', async () => {
    const { port } = await setup(3, { dataPath });
    const replies: string[] = [];
    for (let i = 0; i < 6; i++) replies.push((await request(port, `r${i}`)).reply);
    expect(replies).toEqual(['task1:r0', 'task2:r1', 'task3:r2', 'task1:r3', 'task2:r4', 'task3:r5']);
  });

  it('least connections sends a new connection to the replica with the fewest open ones', async () => {
    const { mesh, port } = await setup(3, { dataPath });
    mesh.setStrategy('web', 'least-connections');
    await mesh.setBackends('web', 80, servers);
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await openHeld(port));
    clients.push(...held.map((h) => h.socket));
    expect(held.map((h) => h.id)).toEqual(['task1', 'task2', 'task3']);
    // task2's client leaves: the next connection goes to task2 although round robin would say task1.
    held[1]!.socket.end();
    await until(async () => (await mesh.stats()).services[0]!.backends.find((b) => b.taskId === 'task2')!.active === 0);
    const next = await openHeld(port);
    clients.push(next.socket);
    expect(next.id).toBe('task2');
    const stats = await mesh.stats();
    expect(stats.services[0]!.strategy).toBe('least-connections');
    expect(stats.services[0]!.backends.map((b) => b.active)).toEqual([1, 1, 1]);
  });

  it('a replica removed from the set gets no new connection at once; its open connection goes on', async () => {
    const { mesh, port, backends } = await setup(3, { dataPath });
    const onTask1 = await openHeld(port);
    clients.push(onTask1.socket);
    expect(onTask1.id).toBe('task1');
    // Not awaited: the daemon's own loop must have the new set synchronously.
    void mesh.setBackends('web', 80, backends.slice(1));
    const replies = await Promise.all([1, 2, 3, 4].map(() => request(port)));
    expect(replies.map((r) => r.reply.split(':')[0]).sort()).toEqual(['task2', 'task2', 'task3', 'task3']);
    // The connection to the removed task still carries data both ways.
    const tail = await new Promise<string>((resolve) => {
      let got = '';
      onTask1.socket.on('data', (d) => (got += d.toString()));
      onTask1.socket.on('close', () => resolve(got));
      onTask1.socket.end('bye');
    });
    expect(tail).toBe('task1:?bye');
  });

  it('a replica that refuses connections is skipped and the request still succeeds', async () => {
    const { mesh, port, backends } = await setup(2, { dataPath });
    const dead = { taskId: 'dead', address: '127.0.0.1', port: await closedPort() };
    await mesh.setBackends('web', 80, [dead, ...backends]);
    const replies = await Promise.all([1, 2, 3, 4].map((i) => request(port, `q${i}`)));
    for (const r of replies) {
      expect(r.error).toBeUndefined();
      expect(r.reply).toMatch(/^task[12]:q\d$/);
    }
    const stats = (await mesh.stats()).services[0]!;
    const deadStats = stats.backends.find((b) => b.taskId === 'dead')!;
    expect(deadStats.failed).toBeGreaterThan(0);
    expect(deadStats.total).toBe(0);
    expect(stats.rejected).toBe(0);
  });

  it('with every replica down the client sees its connection closed, without data', async () => {
    const { mesh, port } = await setup(0, { dataPath });
    await mesh.setBackends('web', 80, [
      { taskId: 'a', address: '127.0.0.1', port: await closedPort() },
      { taskId: 'b', address: '127.0.0.1', port: await closedPort() },
    ]);
    const r = await request(port);
    expect(r.reply).toBe('');
    expect(r.error).toBe('ECONNRESET');
    // No replica at all: same.
    await mesh.setBackends('web', 80, []);
    const r2 = await request(port);
    expect(r2.reply).toBe('');
    expect(r2.error).toBe('ECONNRESET');
    const stats = (await mesh.stats()).services[0]!;
    expect(stats.rejected).toBe(2);
    expect(stats.backends.every((b) => b.failed === 1)).toBe(true);
  });

  it('half-close: a client that ends its write side still gets the whole response', async () => {
    const { port } = await setup(1, { dataPath });
    const big = 'y'.repeat(1024 * 1024);
    const r = await request(port, big);
    expect(r.error).toBeUndefined();
    expect(r.reply.length).toBe('task1:'.length + big.length);
    expect(r.reply.startsWith('task1:yyy')).toBe(true);
  });

  it('carries 8 MiB each way intact through a slow reader (backpressure, no buffer reused too early)', async () => {
    const echo = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    const sockets = new Set<net.Socket>();
    const echoBackend = await listen(echo, 'echo', sockets);
    servers.push(echoBackend);
    const mesh = new RoutingMesh({ dataPath });
    meshes.push(mesh);
    const port = await closedPort();
    await mesh.publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'web');
    await mesh.setBackends('web', 80, [echoBackend]);
    const payload = patternedPayload(8 * 1024 * 1024);
    const got = await echoThroughSlowReader(port, payload);
    expect(got.length).toBe(payload.length);
    expect(got.equals(payload)).toBe(true);
  }, 20000);

  it('survives a client reset in the middle of a stream and closes the backend side', async () => {
    const hose = await firehoseBackend('hose');
    servers.push(hose);
    const mesh = new RoutingMesh({ dataPath });
    meshes.push(mesh);
    const port = await closedPort();
    await mesh.publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'web');
    await mesh.setBackends('web', 80, [hose]);
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        let n = 0;
        s.on('error', () => {});
        s.on('data', (d) => {
          n += d.length;
          if (n > 256 * 1024) {
            s.resetAndDestroy();
            resolve();
          }
        });
      });
    }
    await until(async () => hose.sockets.size === 0 && (await mesh.stats()).services[0]!.backends[0]!.active === 0);
    expect((await mesh.stats()).services[0]!.backends[0]!.total).toBe(3);
  });

  it('a client FIN and a backend reset arriving together close both sides (no socket left open)', async () => {
    // The client and the backend live in a worker thread; this thread's loop (the mesh) sleeps
    // while the client half-closes and then the backend resets, so that the mesh reads both in
    // one turn: it starts passing the FIN on to the backend and then must close that side
    // while the shutdown is still in flight. A handle left open there is a socket that stays
    // open for good, and a process that spins at exit instead of ending.
    const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const worker = new Worker(
      `const net = require('node:net');
      const { parentPort } = require('node:worker_threads');
      let upstream;
      const backend = net.createServer({ allowHalfOpen: true }, (s) => {
        upstream = s;
        s.on('error', () => {});
        s.on('data', () => s.write('hi'));
      });
      backend.listen(0, '127.0.0.1', () => parentPort.postMessage(backend.address().port));
      parentPort.once('message', (meshPort) => {
        const client = net.connect({ port: meshPort, host: '127.0.0.1', allowHalfOpen: true });
        client.on('error', () => {});
        client.once('data', () => parentPort.postMessage('connected'));
        client.write('?');
        parentPort.once('message', () => {
          client.end();
          setTimeout(() => {
            upstream.resetAndDestroy();
            setTimeout(() => parentPort.postMessage('done'), 50);
          }, 50);
        });
      });`,
      { eval: true },
    );
    const next = () => new Promise<unknown>((resolve) => worker.once('message', resolve));
    try {
      const backendPort = (await next()) as number;
      const mesh = new RoutingMesh({ dataPath });
      meshes.push(mesh);
      const port = await closedPort();
      await mesh.publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'web');
      await mesh.setBackends('web', 80, [{ taskId: 'task1', address: '127.0.0.1', port: backendPort }]);
      const connected = next();
      worker.postMessage(port);
      await connected;
      const done = next();
      worker.postMessage('go');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); // the mesh sleeps
      await done;
      await until(async () => (await mesh.stats()).services[0]!.backends[0]!.active === 0);
      await until(async () => sockets() <= before);
    } finally {
      await worker.terminate();
    }
  });

  it('a published port that another process holds is refused with a clear error', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    const mesh = new RoutingMesh({ dataPath });
    meshes.push(mesh);
    try {
      const err = await mesh
        .publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'web')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toContain(
        `port ${port} is already in use on this node: another service or process holds it`,
      );
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });

  it('a port published by one service is refused to another', async () => {
    const { mesh, port } = await setup(1, { dataPath });
    await expect(
      mesh.publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'other'),
    ).rejects.toThrow(`port ${port} is already in use on this node: service web publishes it`);
    // Publishing the same thing again is a no-op.
    await mesh.publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'web');
    expect((await request(port)).reply).toBe('task1:ping');
    // Publications are keyed by address and port: the wildcard one of that port is not this one.
    await mesh.unpublish(port);
    expect((await request(port)).reply).toBe('task1:ping');
    await mesh.unpublish(port, '127.0.0.1');
    expect((await request(port)).error).toBe('ECONNREFUSED');
  });
});

describe.each(['handles', 'sockets'] as const)(
  'RoutingMesh with accept-loop child processes (data path %s)',
  (dataPath) => {
    const execArgv = ['-r', join(__dirname, '__fixtures__/register-ts.js')];

    it('every loop proxies, gets backend changes before setBackends resolves, and a dead loop is replaced', async () => {
      const { mesh, port, backends } = await setup(3, { acceptLoops: 2, execArgv, dataPath });
      expect(mesh.acceptLoops).toBe(3);
      const burst = async (n: number) => Promise.all(Array.from({ length: n }, () => request(port)));
      let replies = await burst(60);
      expect(replies.every((r) => /^task[123]:ping$/.test(r.reply))).toBe(true);
      let stats = await mesh.stats();
      expect(stats.loops).toBe(3);
      expect(stats.services[0]!.backends.reduce((n, b) => n + b.total, 0)).toBe(60);

      await mesh.setBackends('web', 80, backends.slice(0, 1));
      replies = await burst(60);
      expect(replies.every((r) => r.reply === 'task1:ping')).toBe(true);

      const [victim] = mesh.loopPids;
      process.kill(victim!, 'SIGKILL');
      await until(
        async () => mesh.loopPids.length === 2 && !mesh.loopPids.includes(victim!) && (await mesh.stats()).loops === 3,
        15000,
      );
      await mesh.setBackends('web', 80, backends.slice(2));
      replies = await burst(60);
      expect(replies.every((r) => r.reply === 'task3:ping')).toBe(true);
      stats = await mesh.stats();
      expect(stats.services[0]!.backends.map((b) => b.taskId)).toEqual(['task3']);
    }, 30000);
  },
);
