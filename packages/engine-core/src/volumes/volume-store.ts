// Named local volumes: <paths.volumes>/<name>/_data, metadata beside it. Docker's Volume JSON shape.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors';

/** Docker's `Volume` object (GET /volumes/{name}). */
export interface Volume {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Who uses a volume: container IDs (the container manager answers this). */
export type VolumeUsers = (name: string) => string[];

export class VolumeStore {
  private readonly volumes = new Map<string, Volume>();
  private users: VolumeUsers = () => [];

  constructor(private readonly dir: string) {}

  /** The container manager registers itself so that `remove` can refuse volumes in use. */
  setUsers(fn: VolumeUsers): void {
    this.users = fn;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      try {
        const v = JSON.parse(await readFile(join(this.dir, name, 'volume.json'), 'utf8')) as Volume;
        this.volumes.set(v.Name, v);
      } catch {
        // a half-created volume (crash between mkdir and metadata): not a volume
      }
    }
  }

  /** Create a volume; like docker, creating an existing name returns it unchanged. */
  async create(req: VolumeCreateRequest = {}): Promise<Volume> {
    const driver = req.Driver || 'local';
    if (driver !== 'local')
      throw new InvalidArgumentError(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const anonymous = !req.Name;
    const name = req.Name || randomBytes(32).toString('hex');
    if (!VALID_NAME.test(name)) {
      throw new InvalidArgumentError(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    const existing = this.volumes.get(name);
    if (existing) return existing;
    const v: Volume = {
      Name: name,
      Driver: 'local',
      Mountpoint: join(this.dir, name, '_data'),
      CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      Labels: { ...(req.Labels ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) },
      Options: req.DriverOpts ?? {},
      Scope: 'local',
    };
    this.volumes.set(name, v);
    try {
      await mkdir(v.Mountpoint, { recursive: true, mode: 0o755 });
      const meta = join(this.dir, name, 'volume.json');
      await writeFile(`${meta}.tmp`, JSON.stringify(v));
      await rename(`${meta}.tmp`, meta);
    } catch (e) {
      this.volumes.delete(name);
      throw e;
    }
    return v;
  }

  get(name: string): Volume {
    const v = this.volumes.get(name);
    if (!v) throw new NotFoundError(`get ${name}: no such volume`);
    return v;
  }

  has(name: string): boolean {
    return this.volumes.has(name);
  }

  /** Docker's list; `filters` supports name, label (key or key=value), dangling. */
  list(filters: { name?: string[]; label?: string[]; dangling?: string[] } = {}): {
    Volumes: Volume[];
    Warnings: string[];
  } {
    const out = [...this.volumes.values()].filter((v) => {
      if (filters.name?.length && !filters.name.some((n) => v.Name.includes(n))) return false;
      if (filters.label?.length && !filters.label.every((l) => labelMatches(v.Labels, l))) return false;
      if (filters.dangling?.length) {
        const dangling = this.users(v.Name).length === 0;
        if (filters.dangling.some((d) => (d === 'true' || d === '1') !== dangling)) return false;
      }
      return true;
    });
    out.sort((a, b) => a.Name.localeCompare(b.Name));
    return { Volumes: out, Warnings: [] };
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const v = this.volumes.get(name);
    if (!v) {
      if (opts.force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = this.users(name);
    if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    this.volumes.delete(name);
    await rm(join(this.dir, name), { recursive: true, force: true });
  }

  /** Remove unused volumes (anonymous ones only unless `all`, like docker 23+). */
  async prune(opts: { all?: boolean } = {}): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    for (const v of [...this.volumes.values()]) {
      if (this.users(v.Name).length) continue;
      if (!opts.all && !(ANONYMOUS_LABEL in v.Labels)) continue;
      await this.remove(v.Name);
      deleted.push(v.Name);
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: 0 };
  }
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}
