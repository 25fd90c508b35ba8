// Adapts the runtime's container manager to the API's ContainerBackend, and owns the start-up
// order: networks recover first, then containers reconcile against them.
import type { ContainerBackend } from '../api/backend';
import { EngineError } from '../errors';
import type { ImageStore } from '../images/image-store';
import type { Logger } from '../log';
import type { BridgeNetworkService } from '../network/service';
import type { DataPaths } from '../paths';
import type { VolumeStore } from '../volumes/volume-store';

export interface ContainerEngine {
  backend: ContainerBackend;
  counts(): { total: number; running: number; paused: number; stopped: number };
  close(): Promise<void>;
}

export interface ContainerEngineDeps {
  paths: DataPaths;
  images: ImageStore;
  volumes: VolumeStore;
  networks: BridgeNetworkService;
  log: Logger;
}

export async function createContainerEngine(deps: ContainerEngineDeps): Promise<ContainerEngine> {
  await deps.networks.init();
  const unavailable = async (): Promise<never> => {
    throw new EngineError('the container runtime is not wired into this daemon yet', 501);
  };
  const backend = new Proxy({} as ContainerBackend, { get: () => unavailable });
  return {
    backend,
    counts: () => ({ total: 0, running: 0, paused: 0, stopped: 0 }),
    close: () => deps.networks.close(),
  };
}
