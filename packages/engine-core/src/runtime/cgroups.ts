// The cgroup v1 directories runc creates for a container with an absolute cgroupsPath
// ("/<daemon cgroup parent>/<id>"): one per mounted hierarchy under /sys/fs/cgroup.
import { readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataPaths } from '../paths';

export const CGROUP_ROOT = '/sys/fs/cgroup';

export function containerCgroupsPath(paths: DataPaths, id: string): string {
  return `/${paths.cgroupParent}/${id}`;
}

/** Path of one controller's files for a container, e.g. controllerDir(paths, id, 'memory'). */
export function controllerDir(paths: DataPaths, id: string, controller: string): string {
  return join(CGROUP_ROOT, controller, paths.cgroupParent, id);
}

async function hierarchies(): Promise<string[]> {
  const names = await readdir(CGROUP_ROOT).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names) {
    const st = await stat(join(CGROUP_ROOT, n)).catch(() => null);
    if (st?.isDirectory()) out.push(n);
  }
  return out;
}

/** This daemon's cgroup parent in each hierarchy, with the names of the (container) cgroups under it. */
export async function daemonCgroups(
  paths: DataPaths,
): Promise<{ hierarchy: string; parent: string; children: string[] }[]> {
  const out = [];
  for (const hierarchy of await hierarchies()) {
    const parent = join(CGROUP_ROOT, hierarchy, paths.cgroupParent);
    const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
    out.push({ hierarchy, parent, children: entries.filter((e) => e.isDirectory()).map((e) => e.name) });
  }
  return out;
}

/** Child cgroups left under this daemon's parent, as "<hierarchy>/<name>" (empty when clean). */
export async function leakedCgroups(paths: DataPaths): Promise<string[]> {
  return (await daemonCgroups(paths)).flatMap((d) => d.children.map((c) => `${d.hierarchy}/${c}`));
}

/** Remove one container's cgroup dirs in every hierarchy (after its processes are gone). */
export async function removeContainerCgroups(paths: DataPaths, id: string): Promise<void> {
  await Promise.all(
    (await hierarchies()).map((h) => rmdir(join(CGROUP_ROOT, h, paths.cgroupParent, id)).catch(() => undefined)),
  );
}

/** Remove the daemon's (empty) cgroup parent dirs, e.g. when a test's daemon goes away. */
export async function cleanupDaemonCgroups(paths: DataPaths): Promise<void> {
  for (const d of await daemonCgroups(paths)) {
    for (const c of d.children) await rmdir(join(d.parent, c)).catch(() => undefined);
    await rmdir(d.parent).catch(() => undefined);
  }
}
