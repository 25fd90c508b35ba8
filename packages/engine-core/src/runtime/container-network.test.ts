// A container on the real default bridge network (network/ service), with a published port.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeNetworkService } from '../network/service';
import { dataPaths, type DataPaths } from '../paths';
import { makeBusyboxRootfs } from '../testing/busybox-rootfs';
import { VolumeStore } from '../volumes/volume-store';
import { busyboxImages } from './__fixtures__/busybox-images';
import { cleanupDaemonCgroups } from './cgroups';
import { ContainerManager } from './container-manager';

jest.setTimeout(30_000);

let base: string;
let paths: DataPaths;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'flotilla-ctr-net-'));
  paths = dataPaths(join(base, 'data'), join(base, 'run'));
});

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let s = '';
        res.on('data', (d: Buffer) => (s += d.toString()));
        res.on('end', () => resolve(s));
      })
      .on('error', reject);
  });
}

afterAll(async () => {
  await cleanupDaemonCgroups(paths);
  rmSync(base, { recursive: true, force: true });
});

it('runs a container on the bridge network with its address in /etc/hosts and a published port', async () => {
  const rootfs = makeBusyboxRootfs(join(base, 'rootfs'));
  const net = new BridgeNetworkService({ paths, sandboxPool: 0 });
  await net.init({ liveContainerIds: [] });
  const volumes = new VolumeStore(paths.volumes);
  await volumes.init();
  const m = new ContainerManager({ paths, images: busyboxImages(rootfs), volumes, network: net });
  await m.init();
  try {
    const { Id } = await m.create({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'mkdir /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'],
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] } },
    });
    await m.start(Id);
    const i = m.inspect(Id);
    expect(i.HostConfig.NetworkMode).toBe('bridge');
    const ip = i.NetworkSettings.Networks.bridge?.IPAddress;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(i.NetworkSettings.IPAddress).toBe(ip);
    expect(i.NetworkSettings.SandboxKey).not.toBe('');
    const hostPort = Number(i.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort);
    expect(hostPort).toBeGreaterThan(0);
    const x = m.execCreate(Id, { Cmd: ['sh', '-c', 'cat /etc/hosts; ip -4 addr show eth0 2>/dev/null || ifconfig'] });
    let out = '';
    for await (const c of (await m.execStart(x.Id)).output) out += c.data.toString();
    expect(out).toContain(`${ip}\t${Id.slice(0, 12)}`);
    expect(out).toContain(ip);
    let body = '';
    for (let n = 0; n < 50 && !body; n++)
      body = await get(hostPort).catch(() => new Promise<string>((r) => setTimeout(() => r(''), 50)));
    expect(body).toBe(`hello from ${Id.slice(0, 12)}\n`);
    expect(m.list()[0]?.Ports).toEqual([{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: hostPort, Type: 'tcp' }]);
    await m.stop(Id, { timeout: 1 });
    expect(m.inspect(Id).NetworkSettings.IPAddress).toBe('');
    expect((await net.inspect('bridge')).Containers).toEqual({});
    await expect(get(hostPort)).rejects.toThrow();
    await m.remove(Id);
  } finally {
    for (const c of m.list({ all: true })) await m.remove(c.Id, { force: true });
    await net.teardown();
    await net.close();
  }
});
