// Service VIPs across nodes (Part 5 of the tutorial: web reaches `redis` on another node). A
// service gets a VIP in the upper half of its network's subnet (tasks get the lower half); a
// task on another node reaches the service through the VIP on its own node's bridge, the routing
// mesh there tunnelling the connection to the service's node. VIPs leave the bridges with their
// service, and a daemon restart leaves none behind.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, HTTPD_SCRIPT, waitFor, type ApiTask, type Machine } from './cluster';

jest.setTimeout(180_000);

const IMAGE = 'clvip:1';
const NET = 'vipnet';
let c: Cluster;

interface ApiServiceVip {
  ID: string;
  Endpoint?: { VirtualIPs?: { NetworkID: string; Addr: string }[] };
}

beforeAll(async () => {
  c = await Cluster.create({ roles: ['manager', 'worker'], prefix: 'cv' });
  await c.loadImage(IMAGE);
}, 240_000);

afterAll(async () => {
  await c?.destroy();
}, 240_000);

const ipNum = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const inCidr = (ip: string, cidr: string) => {
  const [base, len] = cidr.split('/') as [string, string];
  const span = 2 ** (32 - Number(len));
  return Math.floor(ipNum(ip) / span) === Math.floor(ipNum(base) / span);
};

/** The /32 addresses on the machine's bridges (where service VIPs live). */
async function bridgeVips(m: Machine): Promise<string[]> {
  const r = await c.inNetns(m, ['ip', '-j', '-4', 'addr', 'show']);
  if (r.code !== 0) throw new Error(`ip addr on ${m.name}: ${r.err}`);
  const links = JSON.parse(r.out) as { ifname: string; addr_info?: { local: string; prefixlen: number }[] }[];
  return links
    .filter((l) => l.ifname !== 'lo')
    .flatMap((l) => (l.addr_info ?? []).filter((a) => a.prefixlen === 32).map((a) => a.local))
    .sort();
}

/** The addresses in busybox nslookup's answer (after the server's own lines). */
function answers(out: string): string[] {
  const after = out.slice(out.search(/^Name:/m) >>> 0);
  return [...after.matchAll(/Address:\s*([0-9.]+)\s*$/gm)].map((m) => m[1]!);
}

async function vipOf(service: string): Promise<string> {
  return waitFor(`a VIP for ${service}`, async () => {
    const s = await c.api<ApiServiceVip>(c.manager, 'GET', `/services/${service}`);
    return s.Endpoint?.VirtualIPs?.[0]?.Addr;
  });
}

async function runningTask(service: string): Promise<ApiTask & { Status: { Addresses?: string[] } }> {
  return waitFor(
    `${service} running`,
    async () => (await c.running(service))[0] as (ApiTask & { Status: { Addresses?: string[] } }) | undefined,
    60_000,
  );
}

it("a task on the worker reaches a service on the manager through the service's VIP, by address and by name; the VIP leaves both bridges with the service", async () => {
  await c.ok(c.manager, [
    'service',
    'create',
    '-d',
    '--name',
    'api',
    '--network',
    NET,
    '--constraint',
    'node.role == manager',
    '-p',
    '8088:80',
    IMAGE,
    'sh',
    '-c',
    HTTPD_SCRIPT,
  ]);
  await c.ok(c.manager, [
    'service',
    'create',
    '-d',
    '--name',
    'client',
    '--network',
    NET,
    '--constraint',
    'node.role == worker',
    IMAGE,
    'sleep',
    '600',
  ]);
  const api = await runningTask('api');
  const client = await runningTask('client');
  expect(c.machineOf(api.NodeID)).toBe(c.manager);
  expect(c.machineOf(client.NodeID)).toBe(c.workers[0]);

  // service inspect: the VIP, like docker's Endpoint.VirtualIPs, in the upper half of the subnet
  const vipAddr = await vipOf('api');
  const vip = vipAddr.split('/')[0]!;
  const net = await c.api<{ IPAM: { Config: { Subnet: string; IPRange?: string }[] } }>(
    c.workers[0]!,
    'GET',
    `/networks/${NET}`,
  );
  const { Subnet, IPRange } = net.IPAM.Config[0]!;
  const prefix = Number(Subnet.split('/')[1]);
  expect(vipAddr).toBe(`${vip}/${prefix}`);
  expect(IPRange).toBe(`${Subnet.split('/')[0]}/${prefix + 1}`);
  expect(inCidr(vip, Subnet)).toBe(true);
  expect(inCidr(vip, IPRange!)).toBe(false);
  // task addresses: the lower half, on both nodes
  for (const t of [api, client]) {
    const addr = t.Status.Addresses?.[0]?.split('/')[0];
    expect(addr && inCidr(addr, IPRange!)).toBe(true);
  }

  // both bridges carry the VIP (the api's node and the client's node)
  for (const m of c.machines)
    await waitFor(`the VIP ${vip} on ${m.name}'s bridge`, async () => (await bridgeVips(m)).includes(vip), 15_000);

  // from inside the client's container on the worker: the api's page (its hostname) over the VIP
  let last = '';
  const page = await waitFor(
    'an answer from the api over its VIP',
    async () => {
      // (no -T: Debian's static busybox wget crashes with it; the exec has its own timeout)
      const r = await c.fl(
        c.workers[0]!,
        ['exec', client.Status.ContainerStatus!.ContainerID!, 'wget', '-qO-', `http://${vip}:80/`],
        15_000,
      );
      last = `exit ${r.code}: ${r.err}${r.out}`;
      return r.code === 0 ? r.out.trim() : undefined;
    },
    30_000,
    500,
  ).catch(async (e: Error) => {
    const listening = (await c.inNetns(c.workers[0]!, ['ss', '-ltn'])).out;
    throw new Error(
      `${e.message}\nlast wget: ${last}\nlistening on the worker:\n${listening}\nworker log:\n${c.daemonLog(c.workers[0]!)}`,
    );
  });
  expect(page).toBe(api.Status.ContainerStatus!.ContainerID!.slice(0, 12));

  // by name, as Part 5's web finds `redis`: the embedded DNS on the worker's bridge answers the VIP
  const clientId = client.Status.ContainerStatus!.ContainerID!;
  const lookup = await c.fl(c.workers[0]!, ['exec', clientId, 'nslookup', 'api'], 15_000);
  expect(lookup.code).toBe(0);
  expect(answers(lookup.out)).toEqual([vip]);
  const byName = await c.fl(c.workers[0]!, ['exec', clientId, 'wget', '-qO-', 'http://api:80/'], 15_000);
  expect(`exit ${byName.code}: ${byName.err}${byName.out.trim()}`).toBe(`exit 0: ${page}`);
  // tasks.<name> answers tasks on the asking node only (no overlay): the api runs on the manager
  const tasks = await c.fl(c.workers[0]!, ['exec', clientId, 'nslookup', 'tasks.client'], 15_000);
  expect(answers(tasks.out)).toEqual([client.Status.Addresses![0]!.split('/')[0]]);

  await c.ok(c.manager, ['service', 'rm', 'api']);
  for (const m of c.machines)
    await waitFor(
      `the VIP ${vip} gone from ${m.name}'s bridge`,
      async () => !(await bridgeVips(m)).includes(vip),
      15_000,
    );
  // the client's own VIP stays where its task runs
  const clientVip = (await vipOf('client')).split('/')[0]!;
  expect(await bridgeVips(c.workers[0]!)).toContain(clientVip);
});

it('a daemon restart leaves no stale VIP on the bridges (a service removed while the daemon was down)', async () => {
  const worker = c.workers[0]!;
  await c.ok(c.manager, [
    'service',
    'create',
    '-d',
    '--name',
    'gone',
    '--network',
    NET,
    '--constraint',
    'node.role == worker',
    '-p',
    '8089:80',
    IMAGE,
    'sh',
    '-c',
    HTTPD_SCRIPT,
  ]);
  await runningTask('gone');
  const gone = (await vipOf('gone')).split('/')[0]!;
  const clientVip = (await vipOf('client')).split('/')[0]!;
  await waitFor(
    `the VIP ${gone} on ${worker.name}'s bridge`,
    async () => (await bridgeVips(worker)).includes(gone),
    15_000,
  );

  await c.killDaemon(worker);
  // kill -9: nothing could clean up, the addresses are still on the bridge
  expect(await bridgeVips(worker)).toEqual(expect.arrayContaining([gone, clientVip]));
  await c.ok(c.manager, ['service', 'rm', 'gone']);
  await c.startDaemon(worker);
  await c.waitAllReady(30_000);

  await waitFor(
    `${worker.name}'s bridge back to the client's VIP only`,
    async () => {
      const now = await bridgeVips(worker);
      return !now.includes(gone) && now.includes(clientVip);
    },
    30_000,
    200,
  ).catch(async (e: Error) => {
    throw new Error(`${e.message}: ${(await bridgeVips(worker)).join(' ')}\n${c.daemonLog(worker)}`);
  });
  await c.ok(c.manager, ['service', 'rm', 'client']);
  for (const m of c.machines)
    await waitFor(`no VIP left on ${m.name}`, async () => (await bridgeVips(m)).length === 0, 15_000);
});

it('a service without ports: its VIP serves the ports its image EXPOSEs (a database in a stack), by name from another node', async () => {
  // The image is built on the manager only, where the service is placed.
  const ctx = mkdtempSync(join(tmpdir(), 'flc-expose-'));
  try {
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${IMAGE}\nEXPOSE 80\n`);
    await c.ok(c.manager, ['build', '-q', '-t', 'clvip:exposed', ctx]);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  await c.ok(c.manager, [
    'service',
    'create',
    '-d',
    '--name',
    'db',
    '--network',
    NET,
    '--constraint',
    'node.role == manager',
    'clvip:exposed',
    'sh',
    '-c',
    HTTPD_SCRIPT,
  ]);
  await c.ok(c.manager, [
    'service',
    'create',
    '-d',
    '--name',
    'app',
    '--network',
    NET,
    '--constraint',
    'node.role == worker',
    IMAGE,
    'sleep',
    '600',
  ]);
  const db = await runningTask('db');
  const app = await runningTask('app');
  const appId = app.Status.ContainerStatus!.ContainerID!;
  let last = '';
  const page = await waitFor(
    'the db over its VIP by name, on its exposed port',
    async () => {
      const r = await c.fl(c.workers[0]!, ['exec', appId, 'wget', '-qO-', 'http://db/'], 15_000);
      last = `exit ${r.code}: ${r.err}${r.out}`;
      return r.code === 0 ? r.out.trim() : undefined;
    },
    30_000,
    500,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\nlast wget: ${last}`);
  });
  expect(page).toBe(db.Status.ContainerStatus!.ContainerID!.slice(0, 12));
  await c.ok(c.manager, ['service', 'rm', 'db', 'app']);
});
