// The paths of one daemon's state (data root, runtime dir) and its instance name.
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * Where one daemon keeps its state. Several daemons on one machine (flotilla machines) must not
 * collide, so every kernel object name (cgroup parent, runc root, bridge prefix) derives from
 * `instance`, a short hash of the data root.
 */
export interface DataPaths {
  root: string;
  /** 6 hex chars identifying this daemon among others on the host. */
  instance: string;
  images: string;
  containers: string;
  networks: string;
  volumes: string;
  tmp: string;
  /** runc --root: runtime state, on tmpfs (/run) so a reboot clears it. */
  runcRoot: string;
  /** cgroup parent for this daemon's containers, e.g. "flotilla-1a2b3c". */
  cgroupParent: string;
}

export function dataPaths(root: string, runDir = '/run/flotilla'): DataPaths {
  const instance = createHash('sha256').update(root).digest('hex').slice(0, 6);
  return {
    root,
    instance,
    images: join(root, 'image'),
    containers: join(root, 'containers'),
    networks: join(root, 'network'),
    volumes: join(root, 'volumes'),
    tmp: join(root, 'tmp'),
    runcRoot: join(runDir, instance, 'runc'),
    cgroupParent: `flotilla-${instance}`,
  };
}
