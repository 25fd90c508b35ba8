// Real kernel objects (root): bridges, netns, veths, iptables chains, and the userland proxy.
// Every object is named from a temp data root, so this suite never touches another daemon's.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ConflictError } from '../errors';
import { dataPaths, type DataPaths } from '../paths';
import { runCommand as run } from '../util/command';
import { type Cidr, overlaps, parseCidr, parseIp } from './ipv4';
import { BridgeNetworkService } from './service';

const execFileP = promisify(execFile);

/** The first element, which the test needs: fails clearly when there is none. */
function firstOf<T>(xs: readonly T[]): T {
  const [x] = xs;
  if (x === undefined) throw new Error('expected at least one element');
  return x;
}
jest.setTimeout(30_000);

const tmp = mkdtempSync(join(tmpdir(), 'flotilla-net-'));
const paths: DataPaths = dataPaths(join(tmp, 'root'));
const otherPaths: DataPaths = dataPaths(join(tmp, 'other-root'));
const poolPaths: DataPaths = dataPaths(join(tmp, 'pool-root'));
const leftPaths: DataPaths = dataPaths(join(tmp, 'left-root'));
const movePaths: DataPaths = dataPaths(join(tmp, 'move-root'));
const dnsPaths: DataPaths = dataPaths(join(tmp, 'dns-root'));
const services: BridgeNetworkService[] = [];
const children: ChildProcess[] = [];
const outside = {
  ns: join(tmp, 'outside-ns'),
  veth: `fltout${process.pid}`.slice(0, 15),
  hostIp: '198.18.251.1',
  ip: '198.18.251.2',
};
const www = join(tmp, 'www');

const idA = 'a1'.repeat(32);
const idB = 'b2'.repeat(32);
const idC = 'c3'.repeat(32);
const idHost = 'd4'.repeat(32);
const idNone = 'e5'.repeat(32);

function newService(p = paths, sandboxPool = 0, dnsPort?: number): BridgeNetworkService {
  const s = new BridgeNetworkService({
    paths: p,
    sandboxPool,
    dns: dnsPort === undefined ? undefined : { port: dnsPort },
  });
  services.push(s);
  return s;
}

async function inNs(netnsPath: string, args: string[]): Promise<string> {
  const { stdout } = await execFileP('nsenter', [`--net=${netnsPath}`, '/usr/bin/busybox', ...args], {
    timeout: 10_000,
  });
  return stdout;
}

function serveHttp(netnsPath: string, port: number): void {
  children.push(
    spawn('nsenter', [`--net=${netnsPath}`, '/usr/bin/busybox', 'httpd', '-f', '-p', String(port), '-h', www], {
      stdio: 'ignore',
    }),
  );
}

async function waitFor<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function httpGet(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: '/index.html', agent: false }, (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function ourLinks(p: DataPaths): Promise<string[]> {
  const links = JSON.parse(await run('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
  return links.map((l) => l.ifname.split('@')[0] ?? '').filter((n) => n.includes(p.instance));
}

async function ourRules(p: DataPaths): Promise<string[]> {
  const flavor = process.env.FLOTILLA_IPTABLES ?? 'nft';
  const save = await run(`iptables-${flavor}-save`, []).catch(() => run('iptables-legacy-save', []));
  return save.split('\n').filter((l) => l.includes(`FLOTILLA-${p.instance}`));
}

/** After teardown: none of this instance's links (bridges, veths) or iptables rules remain. */
async function expectNoLinksOrRules(p: DataPaths): Promise<void> {
  expect(await ourLinks(p)).toEqual([]);
  expect(await ourRules(p)).toEqual([]);
}

function netnsFiles(p: DataPaths): string[] {
  const dir = join(tmpdirOfRun(p), 'netns');
  return existsSync(dir) ? readdirSync(dir) : [];
}

function tmpdirOfRun(p: DataPaths): string {
  return join(p.runcRoot, '..');
}

async function timeSandboxes(
  s: BridgeNetworkService,
  tag: string,
  background = false,
): Promise<{ create: number; destroy: number }> {
  const times: { create: number; destroy: number }[] = [];
  for (let i = 0; i < 15; i++) {
    const id = (i.toString(16).padStart(2, '0') + tag).repeat(16);
    const t0 = performance.now();
    await s.createSandbox(id, `t${i}`, 'bridge');
    const t1 = performance.now();
    await s.destroySandbox(id, { background });
    times.push({ create: t1 - t0, destroy: performance.now() - t1 });
    // a pause like a container's run time, in which the pool refills
    await new Promise((r) => setTimeout(r, Number(process.env.GAP ?? 20)));
  }
  await s.settle();
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  return { create: median(times.map((t) => t.create)), destroy: median(times.map((t) => t.destroy)) };
}

beforeAll(async () => {
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), 'hello from the sandbox\n');
  // A stand-in for "the internet": a namespace reachable from the host only, with no route back to
  // container subnets, so a reply can only come back through the masquerade.
  writeFileSync(outside.ns, '');
  await run('unshare', [`--net=${outside.ns}`, 'ip', '-batch', '-'], {
    input: `link set lo up\nlink add eth0 type veth peer name ${outside.veth} netns ${process.pid}\naddr add ${outside.ip}/30 dev eth0\nlink set eth0 up\n`,
  });
  await run('ip', ['-batch', '-'], {
    input: `addr add ${outside.hostIp}/30 dev ${outside.veth}\nlink set ${outside.veth} up\n`,
  });
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of services) await s.teardown().catch(() => undefined);
  await run('ip', ['link', 'del', outside.veth]).catch(() => undefined);
  await run('umount', [outside.ns]).catch(() => undefined);
  for (const p of [paths, otherPaths, poolPaths, dnsPaths, leftPaths, movePaths])
    rmSync(tmpdirOfRun(p), { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

describe('bridge networks on a real kernel', () => {
  let svc: BridgeNetworkService;
  let bridgeSubnet: Cidr;
  let port = 0;

  test('init creates bridge, host and none; the bridge gets a free /24 of 198.19.0.0/16', async () => {
    svc = newService();
    await svc.init();
    const list = await svc.list();
    expect(list.map((n) => [n.Name, n.Driver]).sort()).toEqual([
      ['bridge', 'bridge'],
      ['host', 'host'],
      ['none', 'null'],
    ]);
    const bridge = list.find((n) => n.Name === 'bridge')!;
    expect(bridge.Id).toMatch(/^[0-9a-f]{64}$/);
    bridgeSubnet = parseCidr(firstOf(bridge.IPAM.Config).Subnet);
    expect(bridgeSubnet.prefix).toBe(24);
    expect(overlaps(bridgeSubnet, parseCidr('198.19.0.0/16'))).toBe(true);
    expect(firstOf(bridge.IPAM.Config).Gateway).toBe(firstOf(bridge.IPAM.Config).Subnet.replace(/0\/24$/, '1'));
    expect(await ourLinks(paths)).toEqual([`fl${paths.instance}-0`]);
    expect(await ourRules(paths)).toEqual(
      expect.arrayContaining([
        `-A POSTROUTING -j FLOTILLA-${paths.instance}-NAT`,
        `-A FLOTILLA-${paths.instance}-NAT -s ${firstOf(bridge.IPAM.Config).Subnet} ! -o fl${paths.instance}-0 -j MASQUERADE`,
      ]),
    );
  });

  test('a second daemon on the host picks a different subnet', async () => {
    const other = newService(otherPaths);
    await other.init();
    const subnet = parseCidr(firstOf((await other.inspect('bridge')).IPAM.Config).Subnet);
    expect(overlaps(subnet, bridgeSubnet)).toBe(false);
    await other.teardown();
    await expectNoLinksOrRules(otherPaths);
  });

  test('network create: docker shapes, duplicate names and predefined networks refused', async () => {
    const net = await svc.create({ name: 'backend', labels: { tier: 'db' } });
    expect(net).toMatchObject({
      Name: 'backend',
      Driver: 'bridge',
      Scope: 'local',
      Labels: { tier: 'db' },
      bridge: `fl${paths.instance}-1`,
    });
    expect(overlaps(parseCidr(firstOf(net.IPAM.Config).Subnet), bridgeSubnet)).toBe(false);
    await expect(svc.create({ name: 'backend' })).rejects.toThrow(
      new ConflictError('network with name backend already exists'),
    );
    await expect(svc.remove('bridge')).rejects.toMatchObject({
      status: 403,
      message: 'bridge is a pre-defined network and cannot be removed',
    });
    await expect(svc.create({ name: 'custom', subnet: firstOf(net.IPAM.Config).Subnet })).rejects.toThrow(
      /Pool overlaps/,
    );
    const custom = await svc.create({ name: 'custom', subnet: '198.18.252.0/24', gateway: '198.18.252.254' });
    expect(custom.IPAM.Config).toEqual([{ Subnet: '198.18.252.0/24', Gateway: '198.18.252.254' }]);
    expect((await svc.inspect(custom.Id.slice(0, 12))).Name).toBe('custom');
    await svc.remove('custom');
    await expect(svc.inspect('custom')).rejects.toThrow('network custom not found');
  });

  test('network create --ip-range: containers get addresses from the range; kept in the record; needs a subnet', async () => {
    await expect(svc.create({ name: 'ranged', ipRange: '198.18.251.128/25' })).rejects.toThrow(
      /no matching subnet for range 198.18.251.128\/25/,
    );
    await expect(svc.create({ name: 'ranged', subnet: '198.18.251.0/24', ipRange: '198.18.250.0/25' })).rejects.toThrow(
      /no matching subnet for range/,
    );
    const ranged = await svc.create({ name: 'ranged', subnet: '198.18.251.0/24', ipRange: '198.18.251.128/25' });
    expect(ranged.IPAM.Config).toEqual([
      { Subnet: '198.18.251.0/24', Gateway: '198.18.251.1', IPRange: '198.18.251.128/25' },
    ]);
    const id = 'ab'.repeat(32);
    try {
      const sb = await svc.createSandbox(id, 'ranged1', 'ranged');
      expect(sb.endpoints[0]).toMatchObject({ ipAddress: '198.18.251.128', prefixLen: 24, gateway: '198.18.251.1' });
    } finally {
      await svc.destroySandbox(id);
      await svc.remove('ranged');
    }
  });

  test('two containers on a user network talk to each other; the host reaches them', async () => {
    const a = await svc.createSandbox(idA, '/web', 'backend');
    const b = await svc.createSandbox(idB, 'db', 'backend', { aliases: ['database'] });
    expect(a.netnsPath).toBe(join(tmpdirOfRun(paths), 'netns', idA.slice(0, 12)));
    const [epA, epB] = [firstOf(a.endpoints), firstOf(b.endpoints)];
    expect(epA.gateway).toBe(firstOf((await svc.inspect('backend')).IPAM.Config).Gateway);
    expect(parseIp(epB.ipAddress)).toBe(parseIp(epA.ipAddress) + 1);
    expect(epA.macAddress).toMatch(/^02:42:c6:1[23]:/);
    expect(await inNs(a.netnsPath!, ['ip', '-o', 'addr', 'show', 'eth0'])).toContain(`inet ${epA.ipAddress}/24`);
    expect(await inNs(a.netnsPath!, ['ip', 'route'])).toContain(`default via ${epA.gateway}`);
    expect((await inNs(a.netnsPath!, ['ip', 'link', 'show', 'eth0'])).toLowerCase()).toContain(epA.macAddress);

    serveHttp(b.netnsPath!, 8080);
    const page = await waitFor(() =>
      inNs(a.netnsPath!, ['wget', '-q', '-O', '-', `http://${epB.ipAddress}:8080/index.html`]),
    );
    expect(page).toBe('hello from the sandbox\n');
    expect(await waitFor(() => httpGet(8080, epB.ipAddress))).toBe('hello from the sandbox\n');

    const inspect = await svc.inspect('backend');
    expect(inspect.Containers[idA]).toEqual({
      Name: 'web',
      EndpointID: epA.endpointId,
      MacAddress: epA.macAddress,
      IPv4Address: `${epA.ipAddress}/24`,
    });
    await expect(svc.remove('backend')).rejects.toThrow(
      `error while removing network: network backend id ${inspect.Id} has active endpoints`,
    );
  });

  test('outbound traffic is masqueraded to the host address', async () => {
    const c = await svc.createSandbox(idC, 'out', 'bridge');
    // The outside namespace has no route to the container subnet: only NAT lets the reply come back.
    const out = await inNs(c.netnsPath!, ['ping', '-c', '1', '-W', '2', outside.ip]);
    expect(out).toContain('1 packets received');
  });

  test('network connect adds eth1 on the other bridge; disconnect removes it', async () => {
    const epB = firstOf(svc.sandbox(idB)!.endpoints);
    const c = svc.sandbox(idC)!;
    const ep = await svc.connect('backend', idC, { aliases: ['outer'] });
    expect(ep.networkName).toBe('backend');
    expect(await inNs(c.netnsPath!, ['ip', '-o', 'addr', 'show', 'eth1'])).toContain(`inet ${ep.ipAddress}/24`);
    expect(
      await waitFor(() => inNs(c.netnsPath!, ['wget', '-q', '-O', '-', `http://${epB.ipAddress}:8080/index.html`])),
    ).toBe('hello from the sandbox\n');
    expect((await svc.inspect('backend')).Containers[idC]?.IPv4Address).toBe(`${ep.ipAddress}/24`);
    await expect(svc.connect('backend', idC)).rejects.toThrow(
      'endpoint with name out already exists in network backend',
    );
    await expect(svc.disconnect('bridge', idC)).rejects.toThrow(/cannot leave bridge/);
    await svc.disconnect('backend', idC);
    await expect(inNs(c.netnsPath!, ['ip', 'link', 'show', 'eth1'])).rejects.toThrow();
    expect((await svc.inspect('backend')).Containers[idC]).toBeUndefined();
    expect(svc.sandbox(idC)!.endpoints.map((e) => e.networkName)).toEqual(['bridge']);
  });

  test('host and none modes', async () => {
    const host = await svc.createSandbox(idHost, 'h', 'host');
    expect(host).toEqual({ containerId: idHost, netnsPath: null, endpoints: [] });
    expect((await svc.inspect('host')).Containers[idHost]?.Name).toBe('h');
    const none = await svc.createSandbox(idNone, 'n', 'none');
    expect(none.endpoints).toEqual([]);
    const links = await inNs(none.netnsPath!, ['ip', '-o', 'link']);
    expect(links.trim().split('\n')).toHaveLength(1);
    expect(links).toMatch(/lo: <LOOPBACK,UP/);
    await expect(svc.createSandbox('f6'.repeat(32), 'x', 'nonet')).rejects.toThrow('network nonet not found');
  });

  test('publish: the host port forwards to the container; a taken port is refused like docker', async () => {
    const epB = firstOf(svc.sandbox(idB)!.endpoints);
    const [pub] = await svc.publish(idB, epB.ipAddress, [
      { hostIp: '', hostPort: 0, containerPort: 8080, proto: 'tcp' },
    ]);
    port = pub!.hostPort;
    expect(port).toBeGreaterThan(0);
    expect(await httpGet(port)).toBe('hello from the sandbox\n');
    await expect(
      svc.publish(idA, firstOf(svc.sandbox(idA)!.endpoints).ipAddress, [
        { hostIp: '', hostPort: port, containerPort: 80, proto: 'tcp' },
      ]),
    ).rejects.toThrow(new ConflictError(`Bind for 0.0.0.0:${port} failed: port is already allocated`));
    expect(svc.published(idA)).toEqual([]);
    expect(svc.published(idB)).toEqual([{ hostIp: '', hostPort: port, containerPort: 8080, proto: 'tcp' }]);
  });

  test('a daemon restart recovers networks, live sandboxes and their ports, and removes the rest', async () => {
    await svc.close();
    await expect(httpGet(port)).rejects.toThrow(/ECONNREFUSED/);
    // Leaks a crash could leave: a netns file and a host veth with no record.
    const strayNs = join(tmpdirOfRun(paths), 'netns', 'deadbeef0000');
    writeFileSync(strayNs, '');
    await run('unshare', [`--net=${strayNs}`, 'true']);
    await run('ip', [
      'link',
      'add',
      `v${paths.instance}dead0`,
      'type',
      'veth',
      'peer',
      'name',
      `v${paths.instance}dead1`,
    ]);
    // And a bridge deleted by hand while the daemon was down: made again, with B's veth back on it.
    await run('ip', ['link', 'del', `fl${paths.instance}-1`]);

    const netId = (await svc.inspect('backend')).Id;
    svc = newService();
    await svc.init({ liveContainerIds: [idB, idC, idHost] });
    expect((await svc.inspect('backend')).Id).toBe(netId);
    expect(Object.keys((await svc.inspect('backend')).Containers)).toEqual([idB]);
    expect(svc.sandbox(idA)).toBeUndefined();
    expect(netnsFiles(paths).sort()).toEqual([idB.slice(0, 12), idC.slice(0, 12)].sort());
    const links = await ourLinks(paths);
    expect(links.filter((l) => l.startsWith('fl')).sort()).toEqual([`fl${paths.instance}-0`, `fl${paths.instance}-1`]);
    expect(links.filter((l) => l.startsWith(svc.names.vethPrefix))).toHaveLength(2); // B and C
    expect(await waitFor(() => httpGet(port))).toBe('hello from the sandbox\n');
    // The embedded DNS is back on the recovered network, with the names of the recovered endpoint only.
    const gw = firstOf((await svc.inspect('backend')).IPAM.Config).Gateway;
    const b = svc.sandbox(idB)!;
    expect(svc.dnsNameserver('backend')).toBe(gw);
    expect(svc.dnsNameserver('bridge')).toBeUndefined();
    expect(await inNs(b.netnsPath!, ['nslookup', 'database', gw])).toContain(
      `Address: ${firstOf(b.endpoints).ipAddress}`,
    );
    await expect(inNs(b.netnsPath!, ['nslookup', 'web', gw])).rejects.toThrow();
    // The released address of A is not handed out again at once; B keeps its own.
    const again = await svc.createSandbox(idA, 'web', 'backend');
    expect(firstOf(again.endpoints).ipAddress).not.toBe(firstOf(svc.sandbox(idB)!.endpoints).ipAddress);
  });

  test('sandbox create + destroy time on the default bridge, without a pool', async () => {
    const { create, destroy } = await timeSandboxes(svc, 'f0');
    console.log(
      `no pool: sandbox create median ${create.toFixed(1)} ms, destroy median ${destroy.toFixed(1)} ms (15 runs)`,
    );
    // Figures only (the machine is shared); what must hold is that nothing is left behind.
    expect(netnsFiles(paths).sort()).toEqual([idA, idB, idC].map((id) => id.slice(0, 12)).sort());
    expect(Object.keys((await svc.inspect('bridge')).Containers)).toEqual([idC]);
  });

  test('destroy and teardown leave no veth, netns file, listener or iptables rule', async () => {
    for (const id of [idA, idB, idC, idHost, idNone]) await svc.destroySandbox(id);
    await expect(httpGet(port)).rejects.toThrow(/ECONNREFUSED/);
    expect(netnsFiles(paths)).toEqual([]);
    await svc.settle();
    expect(await ourLinks(paths)).toEqual([`fl${paths.instance}-0`, `fl${paths.instance}-1`]);
    await svc.remove('backend');
    expect(await ourLinks(paths)).toEqual([`fl${paths.instance}-0`]);
    await svc.teardown();
    await expectNoLinksOrRules(paths);
  });
});

describe('sandboxes made ahead of time', () => {
  test('a pooled sandbox is wired like a direct one, and close/teardown removes the pool', async () => {
    const svc = newService(poolPaths, 2);
    await svc.init();
    await waitFor(async () => expect(netnsFiles(poolPaths).filter((f) => f.startsWith('pool-'))).toHaveLength(2));
    const s = await svc.createSandbox(idA, 'pooled', 'bridge');
    expect(s.netnsPath).toContain('/pool-');
    const ep = firstOf(s.endpoints);
    expect(await inNs(s.netnsPath!, ['ip', '-o', 'addr', 'show', 'eth0'])).toContain(`inet ${ep.ipAddress}/24`);
    expect((await inNs(s.netnsPath!, ['ip', 'link', 'show', 'eth0'])).toLowerCase()).toContain(ep.macAddress);
    expect(await inNs(s.netnsPath!, ['ping', '-c', '1', '-W', '2', ep.gateway])).toContain('1 packets received');
    expect(Object.keys((await svc.inspect('bridge')).Containers)).toEqual([idA]);
    await svc.destroySandbox(idA);

    const { create, destroy } = await timeSandboxes(svc, 'e0');
    console.log(
      `pool of 2: sandbox create median ${create.toFixed(2)} ms, destroy median ${destroy.toFixed(1)} ms (15 runs, 20 ms apart)`,
    );
    expect(netnsFiles(poolPaths).filter((f) => !f.startsWith('pool-'))).toEqual([]);
    expect((await svc.inspect('bridge')).Containers).toEqual({});

    const bg = await timeSandboxes(svc, 'd0', true);
    console.log(
      `pool of 2, background destroy: create median ${bg.create.toFixed(2)} ms, destroy median ${bg.destroy.toFixed(2)} ms`,
    );
    // timeSandboxes settles: every namespace of the loop is unmounted and gone by now
    expect(netnsFiles(poolPaths).filter((f) => !f.startsWith('pool-'))).toEqual([]);
    // a background removal and a new sandbox for the same container do not trip over each other
    await svc.createSandbox(idB, 'again', 'bridge');
    await svc.destroySandbox(idB, { background: true });
    const again = await svc.createSandbox(idB, 'again', 'bridge');
    expect(await inNs(again.netnsPath!, ['ping', '-c', '1', '-W', '2', firstOf(again.endpoints).gateway])).toContain(
      '1 packets received',
    );
    await svc.destroySandbox(idB);

    await svc.close();
    expect(netnsFiles(poolPaths)).toEqual([]);
    await svc.teardown();
    await expectNoLinksOrRules(poolPaths);
  });
});

describe('teardown with sandboxes still in place', () => {
  test('removes their namespaces and veths too, then the bridges and rules (a bench that tears down without destroying leaked both)', async () => {
    const svc = newService(leftPaths);
    await svc.init();
    await svc.create({ name: 'leftnet' });
    await svc.createSandbox(idA, 'a', 'leftnet');
    await svc.createSandbox(idB, 'b', 'bridge');
    expect(netnsFiles(leftPaths)).toHaveLength(2);
    await svc.teardown();
    expect(netnsFiles(leftPaths)).toEqual([]);
    expect(existsSync(dirname(leftPaths.runcRoot))).toBe(false); // the instance's run directory
    await expectNoLinksOrRules(leftPaths);
  });
});

describe('a subnet taken while the daemon was down', () => {
  test('the default bridge moves to a free subnet; a user network whose subnet is taken too keeps its own', async () => {
    const first = newService(movePaths);
    await first.init();
    const user = await first.create({ name: 'keepnet' });
    const was = firstOf((await first.inspect('bridge')).IPAM.Config).Subnet;
    await first.close();
    // The daemon is down and its bridges are gone; something else now uses the default subnet.
    for (const l of await ourLinks(movePaths)) await run('ip', ['link', 'del', l]);
    const squatter = `fltsq${process.pid}`.slice(0, 15);
    await run('ip', ['link', 'add', squatter, 'type', 'bridge']);
    try {
      const old = parseCidr(was, true);
      // Both subnets: the default bridge moves, the user network stays where its containers expect it.
      await run('ip', ['addr', 'add', was.replace(/\.0\/24$/, '.200/24'), 'dev', squatter]);
      await run('ip', [
        'addr',
        'add',
        firstOf(user.IPAM.Config).Subnet.replace(/\.0\/24$/, '.200/24'),
        'dev',
        squatter,
      ]);
      const second = newService(movePaths);
      await second.init();
      const now = firstOf((await second.inspect('bridge')).IPAM.Config).Subnet;
      expect(now).not.toBe(was);
      expect(overlaps(parseCidr(now, true), old)).toBe(false);
      expect(firstOf((await second.inspect('keepnet')).IPAM.Config).Subnet).toBe(firstOf(user.IPAM.Config).Subnet);
      // The move is persisted: a third start keeps the new subnet.
      await second.close();
      const third = newService(movePaths);
      await third.init();
      expect(firstOf((await third.inspect('bridge')).IPAM.Config).Subnet).toBe(now);
      await third.remove('keepnet');
      await third.teardown();
    } finally {
      await run('ip', ['link', 'del', squatter]).catch(() => undefined);
    }
  });
});

describe('embedded DNS port taken', () => {
  test('the network is created all the same, without a nameserver for its containers', async () => {
    // Something holds the port on every address (a wildcard bind): the gateway's cannot be had.
    const holder = createSocket('udp4');
    await new Promise<void>((res) => holder.bind(0, '0.0.0.0', () => res()));
    try {
      const svc = newService(dnsPaths, 0, holder.address().port);
      await svc.init();
      const net = await svc.create({ name: 'nodns' });
      expect(net.Name).toBe('nodns');
      expect(svc.dnsNameserver('nodns')).toBeUndefined();
      const sb = await svc.createSandbox(idA, 'x', 'nodns');
      expect(firstOf(sb.endpoints).networkName).toBe('nodns');
      await svc.destroySandbox(idA);
      await svc.remove('nodns');
      await svc.teardown();
      expect(await ourLinks(dnsPaths)).toEqual([]);
    } finally {
      holder.close();
    }
  });
});
