// The routing mesh across nodes (issue 5, "Across nodes"): with 6 replicas over 3 machines, every
// machine's :4000 reaches all 6 replicas, not only its own two (the connection is tunnelled to the
// task's node). And an image that exists on the manager alone runs on every node: the others
// fetch it from a peer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, HTTPD_SCRIPT, run, waitFor, type ApiTask } from './cluster';

jest.setTimeout(120_000);

const IMAGE = 'clmesh:1';
const REPLICAS = 6;
let c: Cluster;

beforeAll(async () => {
  c = await Cluster.create({ roles: ['manager', 'worker', 'worker'], prefix: 'cm' });
  await c.loadImage(IMAGE);
}, 240_000);

afterAll(async () => {
  await c?.destroy();
}, 240_000);

it("every node's :4000 reaches all replicas on all nodes", async () => {
  await c.ok(c.manager, [
    'service',
    'create',
    '--name',
    'web',
    '--replicas',
    String(REPLICAS),
    '-p',
    '4000:80',
    IMAGE,
    'sh',
    '-c',
    HTTPD_SCRIPT,
  ]);
  const running = await waitFor('6 replicas running', async () => {
    const r = (await c.tasks('web')).filter(
      (t: ApiTask) => t.Status.State === 'running' && t.DesiredState === 'running',
    );
    return r.length === REPLICAS ? r : false;
  });
  expect(new Set(running.map((t) => t.NodeID)).size).toBe(3);
  // The page is the container's hostname: its short ID.
  const replicas = new Set(running.map((t) => t.Status.ContainerStatus!.ContainerID!.slice(0, 12)));
  for (const m of c.machines) {
    const seen = new Set<string>();
    // From the host over the bridge, as a user's curl to the machine's IP. Fresh connections:
    // the mesh balances per connection.
    await waitFor(
      `all ${REPLICAS} replicas through ${m.name}:4000`,
      async () => {
        const r = await run('curl', ['-s', '--max-time', '2', `http://${m.ip}:4000/`]);
        if (r.code === 0) seen.add(r.out.trim());
        return replicas.size === seen.size && [...seen].every((h) => replicas.has(h));
      },
      20_000,
      20,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; reached ${seen.size}: ${[...seen].join(' ')}`);
    });
  }
});

it('an image built on the manager only runs on every node (the others fetch it from a peer, no registry)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flc-build-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${IMAGE}\nRUN echo built-on-the-manager > /built.txt\n`);
    await c.ok(c.manager, ['build', '-t', 'localonly:1', dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const built = (await c.api<{ Id: string }>(c.manager, 'GET', '/images/localonly:1/json')).Id;
  for (const w of c.workers) expect((await c.fl(w, ['image', 'inspect', 'localonly:1'])).code).not.toBe(0);

  await c.ok(c.manager, [
    'service',
    'create',
    '-d',
    '--name',
    'local',
    '--mode',
    'global',
    'localonly:1',
    'sh',
    '-c',
    'cat /built.txt; exec sleep 600',
  ]);
  const running = await waitFor(
    'the locally built image running on all 3 nodes',
    async () => {
      const r = (await c.tasks('local')).filter(
        (t: ApiTask) => t.Status.State === 'running' && t.DesiredState === 'running',
      );
      return r.length === 3 ? r : false;
    },
    60_000,
  );
  expect(new Set(running.map((t) => t.NodeID))).toEqual(new Set(c.machines.map((m) => m.nodeId)));
  // Every node holds the very same image (same ID: content-addressed, verified on the way).
  for (const m of c.machines)
    expect((await c.api<{ Id: string }>(m, 'GET', '/images/localonly:1/json')).Id).toBe(built);
  await c.ok(c.manager, ['service', 'rm', 'local']);
});

it('an image built on one worker reaches another worker (from the node that runs it, found in the mesh view)', async () => {
  const [a, b] = c.workers as [typeof c.manager, typeof c.manager];
  const dir = mkdtempSync(join(tmpdir(), 'flc-build-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${IMAGE}\nRUN echo built-on-${a.name} > /built.txt\n`);
    await c.ok(a, ['build', '-q', '-t', 'workeronly:1', dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const m of [c.manager, b]) expect((await c.fl(m, ['image', 'inspect', 'workeronly:1'])).code).not.toBe(0);
  // Running on A puts A in the mesh view every node gets (a task on a network).
  await c.ok(c.manager, [
    'service',
    'create',
    '-d',
    '--name',
    'ona',
    '--network',
    'fetchnet',
    '--constraint',
    `node.hostname == ${a.name}`,
    'workeronly:1',
    'sleep',
    '600',
  ]);
  await waitFor('the service running on its worker', async () => (await c.running('ona')).length === 1, 60_000);
  await c.ok(c.manager, [
    'service',
    'create',
    '-d',
    '--name',
    'onb',
    '--constraint',
    `node.hostname == ${b.name}`,
    'workeronly:1',
    'sh',
    '-c',
    'cat /built.txt; exec sleep 600',
  ]);
  const [t] = await waitFor(
    'the image fetched by the other worker and running there',
    async () => {
      const r = await c.running('onb');
      return r.length === 1 ? r : undefined;
    },
    60_000,
  ).catch(async (e: Error) => {
    throw new Error(`${e.message}\n${JSON.stringify((await c.tasks('onb')).map((x) => x.Status))}`);
  });
  expect(c.machineOf(t!.NodeID)).toBe(b);
  const built = (await c.api<{ Id: string }>(a, 'GET', '/images/workeronly:1/json')).Id;
  expect((await c.api<{ Id: string }>(b, 'GET', '/images/workeronly:1/json')).Id).toBe(built);
  await c.ok(c.manager, ['service', 'rm', 'ona', 'onb']);
});
