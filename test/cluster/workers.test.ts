// Workers across machines (issue 5, "Dispatching across the network"): a 1 manager + 2 worker
// swarm of `flotilla machine`s; a service of 6 replicas spread over them; a worker killed with
// kill -9, cut off the network, drained, paused, removed; joins with bad tokens. After each step the
// service has exactly its 6 replicas running: none lost, none duplicated.
import { Cluster, HTTPD_SCRIPT, pidAlive, sleep, waitFor, type ApiTask, type Machine } from './cluster';

jest.setTimeout(120_000);

const IMAGE = 'clweb:1';
const SERVICE = 'web';
const REPLICAS = 6;
let c: Cluster;

const byNode = (tasks: ApiTask[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const t of tasks) m.set(t.NodeID ?? '', (m.get(t.NodeID ?? '') ?? 0) + 1);
  return m;
};

/** Exactly one running task per slot 1..6, and nothing else desired to run. */
async function expectSettled(): Promise<ApiTask[]> {
  const tasks = await c.tasks(SERVICE);
  const running = tasks.filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');
  expect(running.map((t) => t.Slot).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6]);
  const wanted = tasks.filter((t) => t.DesiredState === 'running');
  expect(wanted).toHaveLength(REPLICAS);
  return running;
}

/** Until exactly 6 run, one per slot, on the given nodes only. */
function waitSettled(what: string, onNodes: (t: ApiTask) => boolean = () => true, timeoutMs = 30_000): Promise<ApiTask[]> {
  return waitFor(
    what,
    async () => {
      const tasks = await c.tasks(SERVICE);
      const running = tasks.filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');
      const slots = new Set(running.map((t) => t.Slot));
      return running.length === REPLICAS && slots.size === REPLICAS && running.every(onNodes) ? running : false;
    },
    timeoutMs,
    50,
  );
}

/** Every running replica answers on its own node with its own hostname. */
async function curlEach(tasks: ApiTask[]): Promise<string[]> {
  const pages: string[] = [];
  for (const t of tasks) {
    const m = c.machineOf(t.NodeID)!;
    const info = await c.api<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>(m, 'GET', `/containers/${t.Status.ContainerStatus!.ContainerID}/json`);
    const ip = Object.values(info.NetworkSettings.Networks).map((n) => n.IPAddress).find(Boolean);
    expect(ip).toBeTruthy();
    const r = await c.inNetns(m, ['curl', '-s', '--max-time', '3', `http://${ip}/`]);
    expect(r.code).toBe(0);
    pages.push(r.out.trim());
  }
  return pages;
}

beforeAll(async () => {
  c = await Cluster.create({ roles: ['manager', 'worker', 'worker'], prefix: 'cw' });
  await c.loadImage(IMAGE);
}, 240_000);

afterAll(async () => {
  await c?.destroy();
}, 240_000);

describe('workers on machines', () => {
  let w1: Machine;

  it('deploys 6 replicas spread 2 per node, each answering on its node', async () => {
    w1 = c.workers[0]!;
    await c.ok(c.manager, ['service', 'create', '--name', SERVICE, '--replicas', String(REPLICAS), IMAGE, 'sh', '-c', HTTPD_SCRIPT]);
    const running = await waitSettled('6 replicas running');
    expect([...byNode(running).values()]).toEqual([2, 2, 2]);
    expect(new Set(running.map((t) => t.NodeID))).toEqual(new Set(c.machines.map((m) => m.nodeId)));
    const pages = await curlEach(running);
    expect(new Set(pages).size).toBe(REPLICAS);
  });

  it('replaces the tasks of a worker killed with kill -9 within 5 s', async () => {
    const before = await expectSettled();
    const lost = before.filter((t) => t.NodeID === w1.nodeId).map((t) => t.ID);
    expect(lost).toHaveLength(2);
    const killedAt = await c.killDaemon(w1);
    const running = await waitSettled('6 replicas on the other nodes', (t) => t.NodeID !== w1.nodeId, 15_000);
    const recoveryMs = Date.now() - killedAt;
    console.log(`worker loss: ${recoveryMs} ms from kill -9 to 6/6 running elsewhere`);
    expect(recoveryMs).toBeLessThanOrEqual(5_000);
    expect(await c.nodeState(w1)).toBe('down');
    expect([...byNode(running).values()]).toEqual([3, 3]);
    // The lost tasks are shut down by intent, not left desired-running.
    const tasks = await c.tasks(SERVICE);
    for (const id of lost) expect(tasks.find((t) => t.ID === id)?.DesiredState).toBe('shutdown');
    await expectSettled();
  });

  it('shuts down the stale tasks of the killed worker when it comes back', async () => {
    const stale = (await c.tasks(SERVICE)).filter((t) => t.NodeID === w1.nodeId);
    const staleContainers = stale.map((t) => t.Status.ContainerStatus?.ContainerID).filter(Boolean);
    expect(staleContainers).toHaveLength(2);
    const stalePids = stale.map((t) => t.Status.ContainerStatus?.PID ?? 0);
    const aliveDuringOutage = stalePids.filter(pidAlive).length;
    // Sample the count while the node rejoins: never more than 6 running.
    let maxRunning = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxRunning = Math.max(maxRunning, (await c.running(SERVICE).catch(() => [])).length);
        await sleep(50);
      }
    })();
    try {
      await c.startDaemon(w1);
      await waitFor('the worker Ready again', async () => (await c.nodeState(w1)) === 'ready', 20_000);
      await waitFor('its stale tasks shut down and their containers stopped', async () => {
        const tasks = await c.tasks(SERVICE);
        const done = stale.every((s) => tasks.find((t) => t.ID === s.ID)?.Status.State === 'shutdown');
        const left = (await c.containers(w1)).filter((k) => staleContainers.includes(k.Id) && k.State === 'running');
        return done && left.length === 0;
      }, 20_000);
    } finally {
      sampling = false;
      await sampler;
    }
    expect(maxRunning).toBe(REPLICAS);
    await expectSettled();
    expect((await c.running(SERVICE)).filter((t) => t.NodeID === w1.nodeId)).toEqual([]);
    // The containers outlived their daemon (like dockerd's under containerd) and are stopped now.
    expect(aliveDuringOutage).toBe(2);
    for (const pid of stalePids) expect(pid > 0 && pidAlive(pid)).toBe(false);
  });
});
