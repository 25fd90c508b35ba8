import { availableParallelism } from 'node:os';
import { ENGINE_VERSION, type DaemonContext, type DaemonExtension } from '@flotilla/engine-core';
import { swarmRoutes } from '../api/routes';
import { SwarmNode } from './swarm-node';

/** Swarm mode for `flotilla daemon`: rejoins the swarm at start, serves the swarm API routes. */
export function swarmExtension(
  opts: { heartbeatPeriodMs?: number; meshTunnelPort?: number } = {},
): (ctx: DaemonContext) => Promise<DaemonExtension> {
  return async (ctx) => {
    const node = new SwarmNode({
      paths: ctx.paths,
      containers: ctx.containers,
      images: ctx.images,
      networks: ctx.networks,
      registry: ctx.registry,
      engineVersion: ENGINE_VERSION,
      log: ctx.log.child({ component: 'swarm' }),
      heartbeatPeriodMs: opts.heartbeatPeriodMs,
      meshTunnelPort: opts.meshTunnelPort,
      // A new connection per request is where a userspace proxy spends its CPU: use every core.
      meshAcceptLoops: Math.max(0, availableParallelism() - 1),
    });
    await node.open();
    return { routes: (r) => swarmRoutes(r, node), swarmInfo: () => node.info(), close: () => node.close() };
  };
}
