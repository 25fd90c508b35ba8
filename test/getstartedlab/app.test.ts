// The getstartedlab app (examples/getstartedlab/app) against a real redis-server on loopback:
// the tutorial's page, the counter, the fallback when Redis is down, unreachable or silent
// (answered within the 2 s timeout), and the compiled `node app.js` surviving all of it.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket, connect } from 'node:net';
import { type Server as HttpServer } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configFromEnv } from '../../examples/getstartedlab/app/src/config';
import { VisitCounter } from '../../examples/getstartedlab/app/src/counter';
import { REDIS_DOWN, renderPage } from '../../examples/getstartedlab/app/src/page';
import { createAppServer } from '../../examples/getstartedlab/app/src/server';

const APP_DIR = join(__dirname, '../../examples/getstartedlab/app');
const DOWN_PAGE = (name: string, host: string): string =>
  `<h3>Hello ${name}!</h3><b>Hostname:</b> ${host}<br/><b>Visits:</b> <i>cannot connect to Redis, counter disabled</i>`;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function waitForPort(port: number, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within 10 s`);
}

async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitForPort(port, 'redis-server');
  return redis;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

async function get(port: number, path = '/'): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text(), ms: Date.now() - started };
}

async function listen(server: HttpServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

describe('page and config', () => {
  it('renders the tutorial page, with the fallback text when Redis is down', () => {
    expect(renderPage({ name: 'World', hostname: 'f00dcafe1234', visits: 7 })).toBe(
      '<h3>Hello World!</h3><b>Hostname:</b> f00dcafe1234<br/><b>Visits:</b> 7',
    );
    expect(renderPage({ name: 'World', hostname: 'f00dcafe1234', visits: null })).toBe(
      DOWN_PAGE('World', 'f00dcafe1234'),
    );
    expect(REDIS_DOWN).toBe('<i>cannot connect to Redis, counter disabled</i>');
  });

  it('escapes NAME, which the user controls', () => {
    expect(renderPage({ name: '<b>x</b>', hostname: 'h', visits: 0 })).toContain('Hello &#60;b&#62;x&#60;/b&#62;!');
  });

  it('takes the tutorial defaults and the test overrides from the environment', () => {
    expect(configFromEnv({})).toEqual({
      port: 80,
      name: 'world',
      redisHost: 'redis',
      redisPort: 6379,
      redisTimeoutMs: 2000,
    });
    expect(configFromEnv({ PORT: '4000', NAME: 'World', REDIS_HOST: '127.0.0.1', REDIS_PORT: '7000' })).toMatchObject({
      port: 4000,
      name: 'World',
      redisHost: '127.0.0.1',
      redisPort: 7000,
    });
    expect(() => configFromEnv({ PORT: 'eighty' })).toThrow('PORT=eighty is not a valid number');
  });
});

describe('the app server with a real redis-server', () => {
  let redis: ChildProcess | undefined;
  let silent: NetServer | undefined;
  const silentSockets = new Set<Socket>();
  const counters: VisitCounter[] = [];
  const servers: HttpServer[] = [];

  function appServer(redisPort: number, onStateChange?: (up: boolean, error?: Error) => void): HttpServer {
    const counter = new VisitCounter({ host: '127.0.0.1', port: redisPort, timeoutMs: 2000, onStateChange });
    const server = createAppServer({ name: 'World', counter });
    counters.push(counter);
    servers.push(server);
    return server;
  }

  afterEach(async () => {
    for (const counter of counters.splice(0)) counter.close();
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
    for (const socket of silentSockets) socket.destroy();
    silentSockets.clear();
    silent?.close();
    silent = undefined;
    await stopProcess(redis);
    redis = undefined;
  });

  it('counts visits with INCR, falls back while Redis is down and recovers when it is back', async () => {
    const redisPort = await freePort();
    redis = await startRedis(redisPort);
    const changes: boolean[] = [];
    const port = await listen(appServer(redisPort, (up) => changes.push(up)));

    expect((await get(port)).body).toBe(`<h3>Hello World!</h3><b>Hostname:</b> ${hostname()}<br/><b>Visits:</b> 1`);
    expect((await get(port)).body).toContain('<b>Visits:</b> 2');

    await stopProcess(redis);
    const down = await get(port);
    expect(down.status).toBe(200);
    expect(down.body).toBe(DOWN_PAGE('World', hostname()));
    expect(down.ms).toBeLessThan(2500);
    expect((await get(port)).body).toContain(REDIS_DOWN);

    // A fresh redis-server (empty data set): the next request reconnects on its own.
    redis = await startRedis(redisPort);
    expect((await get(port)).body).toContain('<b>Visits:</b> 1');
    // Reported once per change, not once per request.
    expect(changes).toEqual([true, false, true]);
  });

  it('answers with the fallback at once when nothing listens on the Redis port', async () => {
    const port = await listen(appServer(await freePort()));
    const res = await get(port);
    expect(res.body).toBe(DOWN_PAGE('World', hostname()));
    expect(res.ms).toBeLessThan(1000);
  });

  it('gives up after the 2 s timeout when Redis accepts but never answers', async () => {
    silent = createServer((socket) => {
      silentSockets.add(socket);
      socket.on('error', () => undefined);
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = await listen(appServer((silent.address() as { port: number }).port));
    const [a, b] = await Promise.all([get(port), get(port)]);
    for (const res of [a, b]) {
      expect(res.body).toBe(DOWN_PAGE('World', hostname()));
      expect(res.ms).toBeGreaterThanOrEqual(1900);
      expect(res.ms).toBeLessThan(3000);
    }
  });

  it('serves only GET / (404 elsewhere, like the Flask app)', async () => {
    const port = await listen(appServer(await freePort()));
    expect((await get(port, '/nope')).status).toBe(404);
  });
});

describe('the compiled app (node app.js)', () => {
  let outDir: string | undefined;
  let app: ChildProcess | undefined;
  let redis: ChildProcess | undefined;

  afterEach(async () => {
    await stopProcess(app);
    await stopProcess(redis);
    app = redis = undefined;
    if (outDir) rmSync(outDir, { recursive: true, force: true });
    outDir = undefined;
  });

  it('keeps serving through Redis outages and exits 0 on SIGTERM', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'gsl-app-'));
    await promisify(execFile)(process.execPath, [
      require.resolve('typescript/bin/tsc'),
      '-p',
      APP_DIR,
      '--outDir',
      outDir,
    ]);
    const [port, redisPort] = [await freePort(), await freePort()];
    let log = '';
    app = spawn(process.execPath, [join(outDir, 'app.js')], {
      // Built outside the repository, so ioredis comes from the repository's node_modules.
      env: {
        ...process.env,
        NODE_PATH: join(APP_DIR, '../../../node_modules'),
        PORT: String(port),
        NAME: 'World',
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(redisPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    app.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    const early = once(app, 'exit').then(([code]) => {
      throw new Error(`node app.js exited with ${String(code)} before listening:\n${log}`);
    });
    await Promise.race([waitForPort(port, 'node app.js'), early]);
    early.catch(() => undefined);

    expect((await get(port)).body).toContain(REDIS_DOWN);
    expect((await get(port)).body).toContain(REDIS_DOWN);
    redis = await startRedis(redisPort);
    expect((await get(port)).body).toContain('<b>Visits:</b> 1');
    await stopProcess(redis);
    expect((await get(port)).body).toContain(REDIS_DOWN);
    // Idle with Redis gone: no reconnect loop keeps logging.
    await new Promise((r) => setTimeout(r, 500));
    expect(app.exitCode).toBeNull();

    const exited = once(app, 'exit');
    app.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(log.split('\n').filter((line) => line.includes('cannot connect to redis'))).toHaveLength(2);
    expect(log).not.toContain('Unhandled');
  }, 30_000);
});
