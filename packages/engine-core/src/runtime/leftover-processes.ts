// Processes a daemon left behind when it died without stopping its containers (kill -9, or a
// start still in flight at shutdown): the processes in its containers' cgroups, and the `runc`
// processes (run, exec) working on its runc root. Purging a daemon's state ends them first, so
// that its cgroups, mounts and veths can go too.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataPaths } from '../paths';
import { daemonCgroups } from './cgroups';

/** Pids in this daemon's container cgroups (any hierarchy) and of runc on its runc root. */
export async function leftoverPids(paths: DataPaths): Promise<number[]> {
  const pids = new Set<number>();
  for (const d of await daemonCgroups(paths)) {
    for (const dir of [d.parent, ...d.children.map((c) => join(d.parent, c))]) {
      const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
      for (const l of procs.split('\n')) if (l) pids.add(Number(l));
    }
  }
  const marker = `--root\0${paths.runcRoot}\0`;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) pids.add(Number(pid));
  }
  pids.delete(process.pid);
  return [...pids];
}

/** SIGKILL every leftover process and wait (up to `timeoutMs`) until none is left; resolves with how many were killed. */
export async function killLeftoverProcesses(paths: DataPaths, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const killed = new Set<number>();
  for (;;) {
    const pids = await leftoverPids(paths);
    if (pids.length === 0 || Date.now() > deadline) return killed.size;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
