// POST /containers/create without the bookkeeping: validates the request, resolves the image and
// the mounts, and writes the new container's directory and record.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { cpus, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors';
import type { ImageProvider } from '../images/types';
import type { DataPaths } from '../paths';
import type { VolumeStore } from '../volumes/volume-store';
import { commandOf, mergeConfig, mountPointOf, planMounts } from './container-config';
import type { ContainerNetworking } from './container-network';
import { saveRecord } from './container-store';
import type { ContainerCreateRequest, ContainerRecord, MountPoint } from './container-types';
import { initialState } from './container-views';
import { capabilitySet } from './oci-spec';
import { validateRestartPolicy } from './restart-policy';
import { validateResources } from './units';

export interface ContainerFactoryOptions {
  paths: DataPaths;
  images: ImageProvider;
  volumes: VolumeStore;
  networking: ContainerNetworking;
}

export class ContainerFactory {
  constructor(private readonly o: ContainerFactoryOptions) {}

  /** The record of a new container, persisted in `<containers>/<id>` (left for the caller to remove on failure). */
  async make(id: string, name: string, req: ContainerCreateRequest, signal?: AbortSignal): Promise<ContainerRecord> {
    const host = req.HostConfig ?? {};
    const restartPolicy = validateRestartPolicy(host.RestartPolicy, !!host.AutoRemove);
    validateResources({ ...host, PidsLimit: host.PidsLimit ?? undefined }, cpus().length);
    capabilitySet(host.CapAdd ?? [], host.CapDrop ?? [], !!host.Privileged);
    const networkMode = await this.o.networking.networkMode(host);
    const image = await this.o.images.resolve(req.Image);
    const layerDirs = await this.o.images.layerDirs(image);
    signal?.throwIfAborted();
    const hostname = req.Hostname || (networkMode === 'host' ? osHostname() : id.slice(0, 12));
    const config = mergeConfig(req, image.config, hostname);
    const { path, args } = commandOf(config);
    const mounts = await this.resolveMounts(planMounts(host, config.Volumes));
    const endpointsConfig: ContainerRecord['endpointsConfig'] = {};
    for (const [net, ep] of Object.entries(req.NetworkingConfig?.EndpointsConfig ?? {})) {
      endpointsConfig[net] = {
        Aliases: ep?.Aliases ?? undefined,
        IPv4Address: ep?.IPAMConfig?.IPv4Address || undefined,
      };
    }
    const rec: ContainerRecord = {
      id,
      name,
      created: new Date().toISOString(),
      imageId: image.id,
      path,
      args,
      config,
      hostConfig: {
        ...host,
        NetworkMode: networkMode,
        RestartPolicy: restartPolicy,
        Binds: host.Binds ?? null,
        PortBindings: host.PortBindings ?? {},
        AutoRemove: !!host.AutoRemove,
        Memory: host.Memory ?? 0,
        MemorySwap: host.MemorySwap ?? 0,
        NanoCpus: host.NanoCpus ?? 0,
        CpuQuota: host.CpuQuota ?? 0,
        CpuPeriod: host.CpuPeriod ?? 0,
        PidsLimit: host.PidsLimit ?? null,
      },
      endpointsConfig,
      layerDirs,
      mounts,
      state: initialState(),
      restartCount: 0,
      manuallyStopped: false,
      endpoints: [],
      sandboxKey: '',
      ports: [],
      runcPid: 0,
    };
    const dir = join(this.o.paths.containers, id);
    // Small metadata writes, synchronously: microseconds each, where thread-pool round trips
    // cost milliseconds on a loaded host (this is the hot path of `docker run`).
    mkdirSync(dir);
    for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'hostname'), `${hostname}\n`);
    this.o.networking.writeInitialFiles(dir, hostname, host, networkMode);
    saveRecord(dir, rec);
    return rec;
  }

  private async resolveMounts(plans: ReturnType<typeof planMounts>): Promise<MountPoint[]> {
    const out: MountPoint[] = [];
    for (const p of plans) {
      if (p.type === 'bind') {
        // docker run -v creates a missing host directory; --mount refuses it. An existing file or
        // socket is bound as it is.
        if (p.mustExist) {
          if (!existsSync(p.source))
            throw new InvalidArgumentError(
              `invalid mount config for type "bind": bind source path does not exist: ${p.source}`,
            );
        } else {
          await mkdir(p.source, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'EEXIST') throw e;
          });
        }
        out.push(mountPointOf(p, { source: p.source }));
      } else if (p.type === 'volume') {
        const v = await this.o.volumes.create(p.name ? { Name: p.name } : {});
        out.push(mountPointOf(p, { source: v.Mountpoint, name: v.Name }));
      } else {
        out.push(mountPointOf(p, { source: '' }));
      }
    }
    return out;
  }
}
