// Remove every trace of one daemon's state from the host (kernel objects and, optionally, the
// data root): for tests, benchmarks and uninstalling. Never used by a running daemon.
import { readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BridgeNetworkService } from '../network/service';
import { rootLogger, type Logger } from '../log';
import { dataPaths } from '../paths';
import { cleanupDaemonCgroups } from '../runtime/cgroups';
import { killLeftoverProcesses } from '../runtime/leftover-processes';
import { runTool } from '../util/command';

export async function purgeDaemonState(
  dataRoot: string,
  opts: { runDir?: string; removeData?: boolean; log?: Logger } = {},
): Promise<void> {
  const paths = dataPaths(dataRoot, opts.runDir);
  // Containers still running (their daemon was killed) hold veths, mounts and cgroups: end them first.
  await killLeftoverProcesses(paths);
  const net = new BridgeNetworkService({
    paths,
    log: (opts.log ?? rootLogger).child({ component: 'network', instance: paths.instance }),
  });
  await net.init({ liveContainerIds: [], startDns: false });
  await net.teardown();
  await cleanupDaemonCgroups(paths).catch(() => undefined);
  // Mounts others made below the instance's run directory (a swarm node's per-task tmpfs of
  // secrets, at <instance>/secrets/<task>) outlive a killed daemon: detach them, deepest first.
  const instanceDir = dirname(paths.runcRoot);
  for (const mp of (await mountPointsUnder(instanceDir)).reverse())
    await runTool('umount', ['-l', mp]).catch(() => undefined);
  await rm(join(instanceDir, 'secrets'), { recursive: true, force: true });
  await rm(paths.runcRoot, { recursive: true, force: true });
  // The instance's run directory (runc state and netns files live under it) goes when empty.
  await rmdir(join(dirname(paths.runcRoot), 'netns')).catch(() => undefined);
  await rmdir(dirname(paths.runcRoot)).catch(() => undefined);
  if (opts.removeData) await rm(dataRoot, { recursive: true, force: true });
}

async function mountPointsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p): p is string => !!p && p.startsWith(`${dir}/`));
}
