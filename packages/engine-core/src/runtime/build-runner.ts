// BuildRunner: one Dockerfile RUN step in a throwaway runc container whose root is an overlay of
// the image layers with the new layer as upperdir. Host networking so RUN can reach the network.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildRunner } from '../images/types';
import type { DataPaths } from '../paths';
import { type Logger, silentLogger } from '../log';
import { buildOciSpec, mergeEnv } from './oci-spec';
import { findRunc, runc, runcDeleteForce } from './runc';
import { spawnRuncRun, waitChild } from './runc-run';
import { resolveUser } from './user';
import { containerResolvConf, hostsFile } from './etc-files';
import { hostNofileLimit } from './host-limits';

/** Mount points runc may create in the upper layer; removed again if the image did not have them. */
const MOUNTPOINTS = ['etc/resolv.conf', 'etc/hosts', 'proc', 'dev', 'sys', 'etc'];

export class RuncBuildRunner implements BuildRunner {
  private readonly log: Logger;

  constructor(
    private readonly paths: DataPaths,
    opts: { log?: Logger } = {},
  ) {
    this.log = opts.log ?? silentLogger;
  }

  async run(opts: Parameters<BuildRunner['run']>[0]): Promise<{ exitCode: number }> {
    opts.signal?.throwIfAborted();
    findRunc();
    const id = `build-${randomBytes(8).toString('hex')}`;
    const bundle = join(this.paths.tmp, id);
    const rootPath = join(bundle, 'rootfs');
    const empty = join(bundle, 'empty');
    await mkdir(rootPath, { recursive: true });
    let child: ReturnType<typeof spawnRuncRun> | undefined;
    const layers = opts.layerDirs.length ? opts.layerDirs : [empty];
    const existed = await Promise.all(MOUNTPOINTS.map((p) => existsInLayers(layers, p)));
    try {
      if (!opts.layerDirs.length) await mkdir(empty);
      const user = await resolveUser(opts.user, layers);
      const hostResolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
      const hostname = opts.hostname ?? id.slice(6, 18);
      await Promise.all([
        writeFile(join(bundle, 'resolv.conf'), containerResolvConf(hostResolv, true)),
        writeFile(join(bundle, 'hosts'), hostsFile(hostname, '127.0.1.1')),
      ]);
      const env = mergeEnv(opts.env);
      if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
      const spec = buildOciSpec({
        args: opts.args,
        env,
        cwd: opts.cwd || '/',
        uid: user.uid,
        gid: user.gid,
        additionalGids: user.additionalGids,
        hostname,
        layerDirs: layers,
        upperDir: opts.upperDir,
        workDir: opts.workDir,
        rootPath,
        network: { mode: 'host' },
        nofile: hostNofileLimit(),
        cgroupsPath: `/${this.paths.cgroupParent}/${id}`,
        binds: [
          { source: join(bundle, 'resolv.conf'), destination: '/etc/resolv.conf', readonly: true },
          { source: join(bundle, 'hosts'), destination: '/etc/hosts', readonly: true },
        ],
      });
      await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
      opts.signal?.throwIfAborted();

      child = spawnRuncRun({ runcRoot: this.paths.runcRoot, bundle, id, stdin: 'ignore' });
      child.stdout?.on('data', (b: Buffer) => opts.onOutput(b));
      child.stderr?.on('data', (b: Buffer) => opts.onOutput(b));
      const exited = waitChild(child);
      const onAbort = () => {
        // runc forwards catchable signals; KILL must go through `runc kill` to reach the container.
        void runc(this.paths.runcRoot, ['kill', id, 'KILL']).then(() => child?.kill('SIGKILL'));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const exitCode = await exited;
      opts.signal?.removeEventListener('abort', onAbort);
      opts.signal?.throwIfAborted();
      return { exitCode };
    } finally {
      if (child && child.exitCode !== 0) await runcDeleteForce(this.paths.runcRoot, id);
      await Promise.all([
        rm(bundle, { recursive: true, force: true }),
        removeCreatedMountpoints(opts.upperDir, existed),
      ]).catch((e: unknown) => this.log.warn({ err: e, id }, 'build container cleanup failed'));
    }
  }
}

async function existsInLayers(layers: string[], p: string): Promise<boolean> {
  for (const l of layers) {
    try {
      await lstat(join(l, p));
      return true;
    } catch {
      // next layer
    }
  }
  return false;
}

async function removeCreatedMountpoints(upperDir: string, existed: boolean[]): Promise<void> {
  for (const [i, mountpoint] of MOUNTPOINTS.entries()) {
    if (existed[i]) continue;
    const p = join(upperDir, mountpoint);
    try {
      const st = await lstat(p);
      if (st.isFile() && st.size === 0) await rm(p);
      else if (st.isDirectory() && (await readdir(p)).length === 0) await rmdir(p);
    } catch {
      // not created
    }
  }
}
