// The getstartedlab visualizer against a real flotilla daemon in swarm mode: the shapes of the
// real /nodes, /services and /tasks answers make the node's column and a box per replica, and the
// page follows a scale down. (The visualizer runs on the host here: its image needs the offline
// Node.js base image, which run-lab.sh makes, not the tests.)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { type Server } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TestEngine, eventually, freePort } from '../engine/harness';
import { createVisualizerServer } from '../../examples/getstartedlab/visualizer/src/server';
import { type VisualizerState } from '../../examples/getstartedlab/visualizer/src/state';

jest.setTimeout(120_000);

const BIN = join(__dirname, '../../packages/stack-cli/bin/flotilla');
const DIST = join(__dirname, '../../packages/stack-cli/dist/cli/main.js');

describe('visualizer against a real swarm manager', () => {
  const e = new TestEngine('visualizer');
  let daemon: ChildProcess | null = null;
  let visualizer: Server;
  let port = 0;

  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  };
  const state = async (): Promise<VisualizerState> => JSON.parse((await get('/api/state')).body) as VisualizerState;

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('packages/stack-cli/dist is missing: run `npm run build` before the tests');
    daemon = spawn(
      process.execPath,
      [BIN, 'daemon', '--data-root', e.dataRoot, '-H', e.host, '--mesh-tunnel-port', '0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    daemon.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    await eventually(async () => (await e.cli(['version'])).code === 0, 20_000, `the daemon to answer (log: ${log})`);
    visualizer = createVisualizerServer({ socketPath: e.socket, refreshSeconds: 2 });
    visualizer.listen(0, '127.0.0.1');
    await once(visualizer, 'listening');
    port = (visualizer.address() as { port: number }).port;
  });

  afterAll(async () => {
    visualizer?.closeAllConnections();
    if (visualizer) await new Promise((r) => visualizer.close(r));
    await e.cli(['service', 'rm', 'viz_probe']).catch(() => undefined);
    await e.cli(['swarm', 'leave', '--force']).catch(() => undefined);
    const d = daemon;
    if (d && d.exitCode === null) {
      d.kill('SIGTERM');
      await once(d, 'exit');
    }
    await e.cleanup();
  });

  test('not a swarm manager yet: the page says so, then shows the node and its tasks', async () => {
    const before = await get('/');
    expect(before.status).toBe(503);
    expect(before.body).toContain('answered 503');
    expect(before.body).toMatch(/not a swarm manager/);

    const clusterPort = await freePort();
    await e.ok([
      'swarm',
      'init',
      '--advertise-addr',
      `127.0.0.1:${clusterPort}`,
      '--listen-addr',
      `127.0.0.1:${clusterPort}`,
      '--default-addr-pool',
      '198.19.64.0/18',
    ]);
    await e.importBusybox('busybox:latest');
    await e.ok([
      'service',
      'create',
      '--name',
      'viz_probe',
      '--replicas',
      '3',
      'busybox:latest',
      'sh',
      '-c',
      'trap "exit 0" TERM; sleep 600 & wait',
    ]);

    const running = await eventually(
      async () => {
        const s = await state();
        const tasks = s.nodes[0]?.tasks ?? [];
        return tasks.length === 3 && tasks.every((t) => t.state === 'running') ? s : null;
      },
      60_000,
      'three running viz_probe tasks on the page state',
    );
    expect(running.nodes).toHaveLength(1);
    expect(running.nodes[0]).toMatchObject({
      hostname: hostname(),
      role: 'manager',
      availability: 'active',
      status: 'ready',
      leader: true,
    });
    expect(running.nodes[0]!.tasks.map((t) => [t.name, t.image])).toEqual([
      ['viz_probe.1', 'busybox:latest'],
      ['viz_probe.2', 'busybox:latest'],
      ['viz_probe.3', 'busybox:latest'],
    ]);
    expect(running.unassigned).toEqual([]);

    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain(`data-hostname="${hostname()}"`);
    expect(page.body).toContain('&#9733; Leader');
    for (const slot of [1, 2, 3])
      expect(page.body).toContain(
        `<div class="name">viz_probe.${slot}</div><div class="image">busybox:latest</div><div class="state">running</div>`,
      );

    // The page follows the swarm: after a scale to 1 only one box is left (the others shut down).
    await e.ok(['service', 'scale', 'viz_probe=1']);
    await eventually(
      async () => (await state()).nodes[0]?.tasks.length === 1,
      30_000,
      'one task left after the scale down',
    );
    expect((await state()).nodes[0]!.tasks.map((t) => t.name)).toEqual(['viz_probe.1']);
  });
});
