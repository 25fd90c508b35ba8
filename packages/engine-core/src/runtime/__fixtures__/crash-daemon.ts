// A daemon stand-in for the restart test: starts containers, reports them, then waits to be
// SIGKILLed (a crash: its runc children and their containers are left behind).
import { dataPaths } from '../../paths';
import { VolumeStore } from '../../volumes/volume-store';
import { ContainerManager } from '../container-manager';
import { busyboxImages } from './busybox-images';

async function main(): Promise<void> {
  const [root, runDir, rootfs] = process.argv.slice(2);
  if (!root || !runDir || !rootfs) throw new Error('usage: crash-daemon.ts <data-root> <run-dir> <busybox-rootfs>');
  const paths = dataPaths(root, runDir);
  const volumes = new VolumeStore(paths.volumes);
  await volumes.init();
  const m = new ContainerManager({ paths, images: busyboxImages(rootfs), volumes });
  await m.init();
  const plain = await m.create({ Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none', Memory: 64 << 20 } }, { name: 'plain' });
  const always = await m.create({ Image: 'busybox', Cmd: ['sh', '-c', "trap 'exit 0' TERM; echo up; while true; do sleep 0.1; done"], HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always' } } }, { name: 'always' });
  const created = await m.create({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }, { name: 'created' });
  await m.start(plain.Id);
  await m.start(always.Id);
  process.stdout.write(JSON.stringify({ plain: plain.Id, always: always.Id, created: created.Id, runcPid: m.get(plain.Id).runcPid }) + '\n');
  setInterval(() => undefined, 1 << 30);
}

main().catch((e: unknown) => {
  process.stderr.write(String((e as Error).stack) + '\n');
  process.exit(1);
});
