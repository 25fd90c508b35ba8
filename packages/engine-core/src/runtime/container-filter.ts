// Pure: which records `docker ps` lists, with its filters (status, name, id, exited, label,
// ancestor, network, volume), newest first.
import type { ContainerRecord } from './container-types';

export interface ListOptions {
  all?: boolean;
  limit?: number;
  filters?: Record<string, string[]>;
}

export function filterContainers(all: ContainerRecord[], opts: ListOptions): ContainerRecord[] {
  const f = opts.filters ?? {};
  let recs = all;
  if (!opts.all && !f.status?.length && !opts.limit)
    recs = recs.filter(
      (r) => r.state.Status === 'running' || r.state.Status === 'paused' || r.state.Status === 'restarting',
    );
  recs = recs.filter((r) => {
    if (f.status?.length && !f.status.includes(r.state.Status)) return false;
    if (f.name?.length && !f.name.some((n) => new RegExp(n.replace(/^\//, '')).test(r.name))) return false;
    if (f.id?.length && !f.id.some((i) => r.id.startsWith(i))) return false;
    if (f.exited?.length && !(r.state.Status === 'exited' && f.exited.includes(String(r.state.ExitCode)))) return false;
    if (
      f.label?.length &&
      !f.label.every((l) =>
        l.includes('=')
          ? r.config.Labels[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1)
          : l in r.config.Labels,
      )
    )
      return false;
    if (
      f.ancestor?.length &&
      !f.ancestor.some((a) => r.config.Image === a || r.imageId === a || r.imageId.startsWith(`sha256:${a}`))
    )
      return false;
    if (f.network?.length && !f.network.includes(r.hostConfig.NetworkMode)) return false;
    const volume = f.volume;
    if (volume?.length && !r.mounts.some((m) => volume.includes(m.Name ?? '') || volume.includes(m.Destination)))
      return false;
    return true;
  });
  recs.sort((a, b) => b.created.localeCompare(a.created));
  if (opts.limit && opts.limit > 0) recs = recs.slice(0, opts.limit);
  return recs;
}
