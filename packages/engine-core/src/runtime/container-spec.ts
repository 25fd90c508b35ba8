// The OCI runtime spec (config.json) of one run of a container, from its record: user and
// environment resolved in its layers, /etc files and mounts bound, limits from its host config.
import { join } from 'node:path';
import type { DataPaths } from '../paths';
import { containerCgroupsPath } from './cgroups';
import type { ContainerRecord } from './container-types';
import { hostNofileLimit } from './host-limits';
import { type BindMount, buildOciSpec, type OciSpec } from './oci-spec';
import { resolveUser } from './user';

/** `dir` is the container's directory (rootfs, upper, work, hostname, hosts, resolv.conf). */
export async function containerSpec(paths: DataPaths, rec: ContainerRecord, dir: string): Promise<OciSpec> {
  const user = await resolveUser(rec.config.User, [...rec.layerDirs, join(dir, 'upper')]);
  const env = [...rec.config.Env];
  if (!env.some((v) => v.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${rec.config.Hostname}`);
  if (!env.some((v) => v.startsWith('HOME='))) env.push(`HOME=${user.home}`);
  const userDests = new Set(rec.mounts.map((m) => m.Destination));
  const binds: BindMount[] = [];
  for (const f of ['hostname', 'hosts', 'resolv.conf']) {
    if (!userDests.has(`/etc/${f}`)) binds.push({ source: join(dir, f), destination: `/etc/${f}`, readonly: false });
  }
  // Parents before children, like docker (sorted by path depth).
  const sorted = [...rec.mounts].sort((a, b) => a.Destination.split('/').length - b.Destination.split('/').length);
  for (const m of sorted)
    if (m.Type !== 'tmpfs') binds.push({ source: m.Source, destination: m.Destination, readonly: !m.RW });
  const h = rec.hostConfig;
  const mode = h.NetworkMode;
  return buildOciSpec({
    args: [rec.path, ...rec.args],
    env,
    cwd: rec.config.WorkingDir || '/',
    uid: user.uid,
    gid: user.gid,
    additionalGids: user.additionalGids,
    hostname: rec.config.Hostname,
    layerDirs: rec.layerDirs.length ? rec.layerDirs : [join(dir, 'rootfs')],
    upperDir: join(dir, 'upper'),
    workDir: join(dir, 'work'),
    rootPath: join(dir, 'rootfs'),
    network:
      mode === 'host'
        ? { mode: 'host' }
        : mode === 'none' || !rec.sandboxKey
          ? { mode: 'none' }
          : { mode: 'path', path: rec.sandboxKey },
    cgroupsPath: containerCgroupsPath(paths, rec.id),
    binds,
    tmpfs: sorted
      .filter((m) => m.Type === 'tmpfs')
      .map((m) => ({ destination: m.Destination, options: (m.TmpfsOptions ?? '').split(',').filter(Boolean) })),
    memoryBytes: h.Memory || undefined,
    memorySwapBytes: h.MemorySwap || undefined,
    nanoCpus: h.NanoCpus || undefined,
    cpuQuota: h.CpuQuota || undefined,
    cpuPeriod: h.CpuPeriod || undefined,
    cpuShares: h.CpuShares || undefined,
    pidsLimit: h.PidsLimit && h.PidsLimit > 0 ? h.PidsLimit : undefined,
    nofile: hostNofileLimit(),
    capAdd: h.CapAdd ?? undefined,
    capDrop: h.CapDrop ?? undefined,
    privileged: !!h.Privileged,
    readonlyRootfs: !!h.ReadonlyRootfs,
    domainname: rec.config.Domainname || undefined,
  });
}
