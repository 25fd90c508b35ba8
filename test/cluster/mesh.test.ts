// The routing mesh across nodes (issue 5, "Across nodes"): with 6 replicas over 3 machines, every
// machine's :4000 reaches all 6 replicas, not only its own two (the connection is tunnelled to the
// task's node). Needs the inter-node mesh tunnel.
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
  await c.ok(c.manager, ['service', 'create', '--name', 'web', '--replicas', String(REPLICAS), '-p', '4000:80', IMAGE, 'sh', '-c', HTTPD_SCRIPT]);
  const running = await waitFor('6 replicas running', async () => {
    const r = (await c.tasks('web')).filter((t: ApiTask) => t.Status.State === 'running' && t.DesiredState === 'running');
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
