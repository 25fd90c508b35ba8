// An in-process swarm node for tests: a real engine (busybox imported, runc containers, bridge networks, volumes) in a temp dir, a SwarmNode on it, and the teardown that removes all of it.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BridgeNetworkService,
  cleanupDaemonCgroups,
  ContainerManager,
  dataPaths,
  ImageStore,
  importRootfs,
  rootLogger,
  VolumeStore,
  type DataPaths,
} from '@flotilla/engine-core';
import { SwarmNode } from '@flotilla/worker';
import { makeBusyboxRootfsTar } from '../../packages/engine-core/src/testing/busybox-rootfs';

export interface TestNode {
  /** The temp dir holding the data root (`data`) and the exec root (`run`). */
  base: string;
  paths: DataPaths;
  images: ImageStore;
  containers: ContainerManager;
  networks: BridgeNetworkService;
  node: SwarmNode;
}

export interface TestNodeOptions {
  /** The temp dir is named flotilla-<prefix>-XXXXXX. */
  prefix: string;
  /** The tag busybox is imported under (default busybox:latest). */
  imageTag?: string;
  /** The node's hostname (default: SwarmNode's, the host's). */
  hostname?: string;
  /** The heartbeat period the node's manager hands its agents (default: SwarmNode's). */
  heartbeatPeriodMs?: number;
}

export async function startNode(opts: TestNodeOptions): Promise<TestNode> {
  const base = mkdtempSync(join(tmpdir(), `flotilla-${opts.prefix}-`));
  const paths = dataPaths(join(base, 'data'), join(base, 'run'));
  const images = await ImageStore.open(paths.images);
  const tag = opts.imageTag ?? 'busybox:latest';
  await importRootfs(images, createReadStream(makeBusyboxRootfsTar(base).tar), { tag });
  const networks = new BridgeNetworkService({ paths, sandboxPool: 0 });
  await networks.init({ liveContainerIds: [] });
  const volumes = new VolumeStore(paths.volumes);
  await volumes.init();
  const containers = new ContainerManager({ paths, images, volumes, network: networks });
  await containers.init();
  const node = new SwarmNode({
    paths,
    containers,
    images,
    networks,
    engineVersion: 'test',
    log: rootLogger,
    ...(opts.heartbeatPeriodMs !== undefined && { heartbeatPeriodMs: opts.heartbeatPeriodMs }),
    ...(opts.hostname !== undefined && { hostname: opts.hostname }),
  });
  return { base, paths, images, containers, networks, node };
}

/**
 * Closes the node, force-removes its containers, stops the engine, tears down its networks and
 * cgroups, then removes the temp dir. `beforeRemove` runs just before that last step (a test's
 * check that nothing is left mounted there). Nothing to do for a node that never started.
 */
export async function stopNode(
  n: TestNode | undefined,
  opts: { beforeRemove?: (n: TestNode) => void } = {},
): Promise<void> {
  if (!n) return;
  await n.node.close();
  for (const c of n.containers.list({ all: true })) await n.containers.remove(c.Id, { force: true });
  await n.containers.shutdown();
  await n.networks.teardown();
  await n.networks.close();
  await cleanupDaemonCgroups(n.paths);
  opts.beforeRemove?.(n);
  rmSync(n.base, { recursive: true, force: true });
}
