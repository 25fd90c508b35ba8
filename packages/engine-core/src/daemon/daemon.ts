// The composition root of one engine daemon: data paths, image store, container manager, network
// service, volumes, and the local API server on its socket. `startDaemon` returns a handle whose
// `close()` stops accepting requests and hands kernel state over for recovery at next start.
import type { Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineBackend } from '../api/backend';
import { createApiServer } from '../api/server';
import type { Router } from '../api/router';
import type { ContainerManager } from '../runtime/container-manager';
import type { RegistryClient } from '../registry/client';
import { ImageStore } from '../images/image-store';
import { rootLogger, type Logger } from '../log';
import type { EmbeddedDnsOptions } from '../network/dns/embedded-dns';
import { BridgeNetworkService } from '../network/service';
import { type DataPaths, dataPaths } from '../paths';
import { RuncBuildRunner } from '../runtime/build-runner';
import { VolumeStore } from '../volumes/volume-store';
import { type ContainerEngine, createContainerEngine } from './containers-backend';
import { imageBackend } from './images-backend';
import { type HostAddress, claimPidFile, ensureSocketFree, listen, parseHost, releasePidFile } from './listen';
import { registryExtras } from './registry-extras';
import { systemBackend } from './system-backend';
import { volumeBackend } from './volumes-backend';

export const DEFAULT_DATA_ROOT = '/var/lib/flotilla';
export const DEFAULT_HOST = 'unix:///run/flotilla/flotilla.sock';

/** What an extension of the daemon (swarm mode, in a higher package) gets to work with. */
export interface DaemonContext {
  paths: DataPaths;
  images: ImageStore;
  containers: ContainerManager;
  networks: BridgeNetworkService;
  registry: RegistryClient;
  /** The process logger without a component: an extension names its own with a child. */
  log: Logger;
}

export interface DaemonExtension {
  /** Adds API routes (the router is consulted before the engine's own routes). */
  routes?(router: Router): void;
  /** The Swarm section of GET /info. */
  swarmInfo?(): Record<string, unknown>;
  close(): Promise<void>;
}

export interface DaemonOptions {
  /** Started after the engine and before the API listens; closed before the engine. */
  extensions?: ((ctx: DaemonContext) => Promise<DaemonExtension>)[];
  dataRoot?: string;
  host?: string;
  /** Base of runtime state on tmpfs (runc root); default /run/flotilla. */
  runDir?: string;
  /** The process's logger, without a component: the daemon gives each component a child of it. */
  log?: Logger;
  /** The embedded DNS of user-defined networks: upstream nameservers (tests), resolv.conf path. */
  dns?: EmbeddedDnsOptions;
}

export interface DaemonHandle {
  paths: DataPaths;
  host: string;
  address: HostAddress;
  server: Server;
  engine: EngineBackend;
  close(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions = {}): Promise<DaemonHandle> {
  const dataRoot = opts.dataRoot ?? DEFAULT_DATA_ROOT;
  const host = opts.host ?? DEFAULT_HOST;
  const base = opts.log ?? rootLogger;
  const log = base.child({ component: 'daemon' });
  const address = parseHost(host);
  const paths = dataPaths(dataRoot, opts.runDir);
  const pidFile = join(dataRoot, 'flotilla.pid');

  await ensureSocketFree(address);
  await mkdir(dataRoot, { recursive: true });
  await claimPidFile(pidFile);
  const opened: { close(): Promise<void> }[] = [];
  try {
    await mkdir(paths.tmp, { recursive: true });
    const images = await ImageStore.open(paths.images, { log: base.child({ component: 'images' }) });
    const volumes = new VolumeStore(paths.volumes);
    await volumes.init();
    const networks = new BridgeNetworkService({
      paths,
      dns: opts.dns,
      log: base.child({ component: 'network', instance: paths.instance }),
    });
    const runner = new RuncBuildRunner(paths, { log: base.child({ component: 'build-runner' }) });
    const containers: ContainerEngine = await createContainerEngine({ paths, images, volumes, networks, log: base });
    opened.push(containers);
    const extras = registryExtras(images, paths, { log: base.child({ component: 'registry' }) });
    const exts: DaemonExtension[] = [];
    for (const start of opts.extensions ?? []) {
      const ext = await start({
        paths,
        images,
        containers: containers.manager,
        networks,
        registry: extras.client,
        log: base,
      });
      exts.push(ext);
      opened.push(ext);
    }
    const swarmInfo = exts.find((e) => e.swarmInfo)?.swarmInfo?.bind(exts.find((e) => e.swarmInfo));
    const engine: EngineBackend = {
      system: systemBackend(
        paths,
        { containers: () => containers.counts(), images: async () => (await images.list()).length },
        containers.manager.events,
        swarmInfo,
      ),
      containers: containers.backend,
      images: imageBackend(images, paths, runner, extras, { builderLog: base.child({ component: 'builder' }) }),
      networks,
      volumes: volumeBackend(volumes),
    };
    const server = createApiServer(engine, {
      log: base.child({ component: 'api' }),
      extend: (router) => exts.forEach((e) => e.routes?.(router)),
    });
    await listen(server, address);
    log.info({ host, dataRoot, instance: paths.instance }, 'API listening');

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        log.info('shutting down');
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        for (const o of opened.reverse()) await o.close().catch((e: unknown) => log.error({ err: e }, 'close failed'));
        await releasePidFile(pidFile);
        log.info('shut down');
      })());
    return { paths, host, address, server, engine, close };
  } catch (e) {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    await releasePidFile(pidFile);
    throw e;
  }
}
