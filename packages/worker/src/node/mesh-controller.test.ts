import net from 'node:net';
import { RoutingMesh } from '../mesh';
import { MeshController } from './mesh-controller';

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
