// Rough timing of create+start+wait+remove of `true` through the ContainerManager, beside bare
// `runc run` of the same rootfs. Run: node -r ./register-ts.js measure-start.ts [N]
// (the official benchmark is bench/engine-start; this is the runtime's own check).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPaths } from '../../paths';
import { makeBusyboxRootfs } from '../../testing/busybox-rootfs';
import { VolumeStore } from '../../volumes/volume-store';
import { cleanupDaemonCgroups } from '../cgroups';
import { ContainerManager } from '../container-manager';
import { buildOciSpec } from '../oci-spec';
import { busyboxImages } from './busybox-images';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20);
  const base = mkdtempSync(join(tmpdir(), 'flotilla-measure-'));
  const rootfs = makeBusyboxRootfs(join(base, 'rootfs'));
  const paths = dataPaths(join(base, 'data'), join(base, 'run'));
  try {
    // bare runc: a plain rootfs bundle, no overlay, same namespaces and cgroup
    const bundle = join(base, 'bundle');
    mkdirSync(bundle);
    const spec = buildOciSpec({ args: ['true'], env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, hostname: 'bare', layerDirs: [rootfs], upperDir: '', workDir: '', rootPath: rootfs, network: { mode: 'none' }, cgroupsPath: `/${paths.cgroupParent}/bare`, nofile: 1024 });
    spec.mounts.shift();
    spec.root.readonly = true;
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const volumes = new VolumeStore(paths.volumes);
    await volumes.init();
    const m = new ContainerManager({ paths, images: busyboxImages(rootfs), volumes });
    await m.init();
    // Interleaved, so that both see the same load on a shared host.
    const bare: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < n; i++) {
      let t = process.hrtime.bigint();
      const r = spawnSync('runc', ['--root', paths.runcRoot, 'run', '--bundle', bundle, `bare${i}`], { stdio: 'ignore' });
      bare.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (r.status !== 0) throw new Error('bare runc failed');
      t = process.hrtime.bigint();
      const { Id } = await m.create({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
      await m.start(Id);
      const { StatusCode } = await m.wait(Id);
      await m.remove(Id);
      ours.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (StatusCode !== 0) throw new Error('container failed');
    }
    process.stdout.write(JSON.stringify({ n, bareRuncRunMs: +median(bare).toFixed(1), managerCreateStartWaitRemoveMs: +median(ours).toFixed(1), ratio: +(median(ours) / median(bare)).toFixed(2) }) + '\n');
  } finally {
    await cleanupDaemonCgroups(paths);
    rmSync(base, { recursive: true, force: true });
  }
}

void main();
