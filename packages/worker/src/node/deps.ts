// What the daemon gives a SwarmNode: its engine (containers, images, networks) and settings.
import type {
  ContainerManager,
  DataPaths,
  ImageStore,
  Logger,
  NetworkService,
  RegistryClient,
} from '@flotilla/engine-core';

export interface SwarmNodeDeps {
  paths: DataPaths;
  containers: ContainerManager;
  images: ImageStore;
  networks: NetworkService;
  registry?: RegistryClient;
  engineVersion: string;
  log: Logger;
  hostname?: string;
  heartbeatPeriodMs?: number;
  /** Routing-mesh accept loops beside the daemon's own (child processes); the daemon uses cores - 1. */
  meshAcceptLoops?: number;
  /** TCP port other nodes' routing meshes tunnel into (default 7946; 0 = any free port). */
  meshTunnelPort?: number;
}
