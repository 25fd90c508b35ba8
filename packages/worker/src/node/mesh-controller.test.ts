import net from 'node:net';
import { RoutingMesh } from '../mesh';
import type { MeshService } from '@flotilla/manager';
import { backendsFor, listenersFor, localTasksOf, MeshController, taskNodeHosts } from './mesh-controller';

/** The fields a view entry has beyond what a test sets. */
const BASE = { name: 'svc', endpointMode: 'vip' as const, networks: [], vipPorts: [] };

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** What the port answers (the backend says "ok"), or '' when nothing does. */
const answer = (port: number, host = '127.0.0.1') =>
  new Promise<string>((resolve) => {
    const c = net.connect(port, host);
    let got = '';
    c.on('data', (d: Buffer) => (got += d.toString()));
    c.once('close', () => resolve(got));
    c.once('error', () => resolve(''));
  });

test('an ingress port held by something else is published as soon as it is free', async () => {
  const port = await freePort();
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(port, r));
  const backend = net.createServer((c) => c.end('ok'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const target = (backend.address() as net.AddressInfo).port;
  const mesh = new RoutingMesh();
  const ctl = new MeshController(mesh, () => 'n1');
  try {
    ctl.update([
      {
        ...BASE,
        serviceId: 's1',
        ports: [{ published: port, target, protocol: 'tcp' }],
        backends: [{ taskId: 't1', nodeId: 'n1', address: '127.0.0.1' }],
      },
    ]);
    await ctl.idle();
    await new Promise((r) => squatter.close(r));
    const t0 = Date.now();
    while ((await answer(port)) !== 'ok' && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
    expect(await answer(port)).toBe('ok');
  } finally {
    await ctl.close();
    await mesh.close();
    await new Promise((r) => backend.close(r));
  }
});

describe('the mesh view as this node sees it', () => {
  const web: MeshService = {
    ...BASE,
    serviceId: 'web',
    ports: [
      { published: 4000, target: 80, protocol: 'tcp' as const },
      { published: 5353, target: 53, protocol: 'udp' as const },
    ],
    backends: [
      { taskId: 'a1', nodeId: 'n1', address: '198.19.0.2/24', tunnel: '198.18.0.2:7946' },
      { taskId: 'b1', nodeId: 'n2', address: '198.19.0.2/24', tunnel: '198.18.0.3:7946' },
      { taskId: 'c1', nodeId: 'n3', address: '198.19.0.3/24' },
    ],
  };

  it('dials tasks on this node directly and tasks on other nodes through their tunnel; a node without a tunnel is left out', () => {
    expect(backendsFor(web, 80, 'n1')).toEqual([
      { taskId: 'a1', address: '198.19.0.2', port: 80 },
      { taskId: 'b1', address: '198.19.0.2', port: 80, tunnel: '198.18.0.3:7946', node: 'n2' },
    ]);
    expect(backendsFor(web, 80, 'n3').map((b) => [b.taskId, b.tunnel])).toEqual([
      ['a1', '198.18.0.2:7946'],
      ['b1', '198.18.0.3:7946'],
      ['c1', undefined],
    ]);
  });

  it("the tunnel listener's allow list: only this node's tasks, only on their service's tcp target ports", () => {
    const local = localTasksOf([web], 'n2');
    expect([...local.keys()]).toEqual(['b1']);
    expect(local.get('b1')).toEqual({ address: '198.19.0.2', ports: new Set([80]) });
    expect(localTasksOf([web], '').size).toBe(0);
  });

  it('localTarget answers from the latest view', async () => {
    const mesh = new RoutingMesh();
    const ctl = new MeshController(mesh, () => 'n2');
    try {
      expect(ctl.localTarget('b1', 80)).toBeUndefined();
      ctl.update([{ ...web, ports: [] }]);
      expect(ctl.localTarget('b1', 80)).toBeUndefined();
      ctl.update([{ ...web, ports: [{ published: await freePort(), target: 80, protocol: 'tcp' }] }]);
      expect(ctl.localTarget('b1', 80)).toBe('198.19.0.2');
      expect(ctl.localTarget('b1', 81)).toBeUndefined();
      expect(ctl.localTarget('a1', 80)).toBeUndefined();
      ctl.update([]);
      expect(ctl.localTarget('b1', 80)).toBeUndefined();
    } finally {
      await ctl.close();
      await mesh.close();
    }
  });
});

describe('service VIPs on this node', () => {
  const svc = (
    serviceId: string,
    vip: string,
    vipPorts: number[],
    ports: MeshService['ports'] = [],
    backends: MeshService['backends'] = [],
  ): MeshService => ({
    ...BASE,
    serviceId,
    name: serviceId,
    ports,
    vipPorts,
    networks: [{ id: 'N1', name: 'lab_default', aliases: [], vip }],
    backends,
  });

  it('listens on VIP:port for VIPs present here, not where the service has the same port on every address', () => {
    const view = [
      svc('api', '198.19.128.128', [80, 8080], [{ published: 8080, target: 8080, protocol: 'tcp' }]),
      svc('away', '198.19.128.129', [80]),
    ];
    expect(listenersFor(view, new Set(['198.19.128.128']))).toEqual([
      { hostIp: '', port: 8080, target: 8080, serviceId: 'api' },
      { hostIp: '198.19.128.128', port: 80, target: 80, serviceId: 'api' },
    ]);
    // 4000 -> 80: the wildcard :4000 does not catch VIP:80, so the VIP gets its own listener.
    const web = svc('web', '198.19.128.130', [80], [{ published: 4000, target: 80, protocol: 'tcp' }]);
    expect(listenersFor([web], new Set(['198.19.128.130'])).map((l) => `${l.hostIp}:${l.port}`)).toEqual([
      ':4000',
      '198.19.128.130:80',
    ]);
  });

  it('the tunnel listener also lets VIP ports through to a local task', () => {
    const local = localTasksOf(
      [svc('api', '198.19.128.128', [6379], [], [{ taskId: 't1', nodeId: 'n1', address: '198.19.128.2/24' }])],
      'n1',
    );
    expect(local.get('t1')).toEqual({ address: '198.19.128.2', ports: new Set([6379]) });
  });

  it('two services on one port number, each on its own VIP (publications keyed by address and port), balanced to their own tasks', async () => {
    const a = net.createServer((c) => c.end('a'));
    const b = net.createServer((c) => c.end('b'));
    await Promise.all([a, b].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    // Loopback addresses stand in for the VIPs: every 127/8 address is local on Linux.
    const mesh = new RoutingMesh();
    const vips = { sync: async () => new Set(['127.0.0.2', '127.0.0.3']) };
    const ctl = new MeshController(mesh, () => 'n1', undefined, vips);
    const backend = (id: string) => [{ taskId: id, nodeId: 'n1', address: '127.0.0.1' }];
    try {
      // VIP port = target port: the backends' own ports stand for the tasks' target port.
      const pa = (a.address() as net.AddressInfo).port;
      const pb = (b.address() as net.AddressInfo).port;
      ctl.update([
        { ...svc('sa', '127.0.0.2', [pa]), backends: backend('ta') },
        { ...svc('sb', '127.0.0.3', [pb]), backends: backend('tb') },
      ]);
      await ctl.idle();
      expect(await answer(pa, '127.0.0.2')).toBe('a');
      expect(await answer(pb, '127.0.0.3')).toBe('b');
      // The service leaves: its VIP listener goes.
      ctl.update([{ ...svc('sb', '127.0.0.3', [pb]), backends: backend('tb') }]);
      await ctl.idle();
      expect(await answer(pa, '127.0.0.2')).toBe('');
      expect(await answer(pb, '127.0.0.3')).toBe('b');
    } finally {
      await ctl.close();
      await mesh.close();
      await Promise.all([a, b].map((s) => new Promise((r) => s.close(r))));
    }
  });

  it("a VIP port held by another service's wildcard listener is taken as soon as it is free", async () => {
    // The task listens on [::1]:<port> (it may: no IPv4 socket holds the port) ...
    const backend = net.createServer((c) => c.end('vip'));
    await new Promise<void>((r) => backend.listen(0, '::1', r));
    const target = (backend.address() as net.AddressInfo).port;
    // ... and something listens on the VIP port on every IPv4 address: Linux refuses 127.0.0.4:<port> beside it.
    const squatter = net.createServer((c) => c.end('squatter'));
    await new Promise<void>((r, j) => squatter.once('error', j).listen(target, '0.0.0.0', r));
    const mesh = new RoutingMesh();
    const ctl = new MeshController(mesh, () => 'n1', undefined, { sync: async () => new Set(['127.0.0.4']) });
    try {
      ctl.update([svc('s', '127.0.0.4', [target], [], [{ taskId: 't', nodeId: 'n1', address: '::1' }])]);
      await ctl.idle();
      expect(await answer(target, '127.0.0.4')).toBe('squatter');
      await new Promise((r) => squatter.close(r));
      const t0 = Date.now();
      while ((await answer(target, '127.0.0.4')) !== 'vip' && Date.now() - t0 < 5000)
        await new Promise((r) => setTimeout(r, 100));
      expect(await answer(target, '127.0.0.4')).toBe('vip');
    } finally {
      await ctl.close();
      await mesh.close();
      await new Promise((r) => backend.close(r));
    }
  });
});

test('taskNodeHosts: the other nodes running tasks, from their tunnel addresses (peers to ask for an image)', () => {
  const svc = (serviceId: string, backends: MeshService['backends']): MeshService => ({
    serviceId,
    name: serviceId,
    endpointMode: 'vip',
    ports: [],
    networks: [],
    vipPorts: [],
    backends,
  });
  const view = [
    svc('a', [
      { taskId: 't1', nodeId: 'me', address: '198.19.128.2/24', tunnel: '198.18.0.2:7946' },
      { taskId: 't2', nodeId: 'n2', address: '198.19.128.2/24', tunnel: '198.18.0.3:7946' },
      { taskId: 't3', nodeId: 'n3', address: '198.19.128.3/24' },
    ]),
    svc('b', [
      { taskId: 't4', nodeId: 'n2', address: '198.19.129.2/24', tunnel: '198.18.0.3:7946' },
      { taskId: 't5', nodeId: 'n4', address: '198.19.129.3/24', tunnel: '[fd00::4]:7946' },
    ]),
  ];
  expect(taskNodeHosts(view, 'me')).toEqual(['198.18.0.3', '[fd00::4]']);
});
