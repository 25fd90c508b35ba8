import net from 'node:net';
import { RoutingMesh } from '../mesh';
import { backendsFor, localTasksOf, MeshController } from './mesh-controller';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** What the port answers (the backend says "ok"), or '' when nothing does. */
const answer = (port: number) =>
  new Promise<string>((resolve) => {
    const c = net.connect(port, '127.0.0.1');
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
    ctl.update([{ serviceId: 's1', ports: [{ published: port, target, protocol: 'tcp' }], backends: [{ taskId: 't1', nodeId: 'n1', address: '127.0.0.1' }] }]);
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
  const web = {
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
