// A node's mesh tunnel: the listener other nodes' routing meshes tunnel into, and the
// credentials this node's mesh uses to tunnel out. Started when the node is in a swarm (init,
// join, restart), stopped when it leaves.
import type { Logger } from '@flotilla/engine-core';
import type { NodeTls } from '@flotilla/manager';
import { PortInUseError, type RoutingMesh, TunnelServer, type TunnelResolver } from '../mesh';

/** Docker's node-to-node port (its gossip port); ours carries the routing mesh's tunnels. */
export const DEFAULT_MESH_TUNNEL_PORT = 7946;

export interface MeshTunnelOptions {
  /** Port to listen on; 0 picks a free one. Default 7946. */
  port?: number;
  log: Logger;
}

export class MeshTunnel {
  private readonly server: TunnelServer;
  private started: Promise<number> | null = null;

  constructor(
    private readonly mesh: RoutingMesh,
    resolve: TunnelResolver,
    private readonly o: MeshTunnelOptions,
  ) {
    this.server = new TunnelServer({ resolve, log: o.log });
  }

  /**
   * Listens (once; later calls only renew the credentials) and resolves with the bound port, or
   * 0 when no port could be bound (this node's tasks are then out of other nodes' reach, the
   * error is logged). A port in use (another daemon on this host) falls back to a free port:
   * the port is reported to the managers, so the other nodes still find it.
   */
  start(tls: NodeTls, clusterId: string): Promise<number> {
    const credentials = { ...tls, clusterId };
    void this.mesh
      .setTunnelCredentials(credentials)
      .catch((e: Error) => this.o.log.warn({ err: e.message }, 'cannot give the mesh its tunnel credentials'));
    if (this.started) {
      this.server.setCredentials(credentials);
      return this.started;
    }
    const want = this.o.port ?? DEFAULT_MESH_TUNNEL_PORT;
    this.started = this.server.listen(credentials, want).catch(async (e: Error) => {
      if (!(e instanceof PortInUseError) || want === 0) {
        this.o.log.error(
          { err: e.message, port: want },
          'cannot listen for mesh tunnels: other nodes cannot reach the tasks on this node',
        );
        return 0;
      }
      const port = await this.server.listen(credentials, 0);
      this.o.log.warn(
        { wanted: want, port },
        'mesh tunnel port in use: listening on a free port instead (reported to the managers)',
      );
      return port;
    });
    void this.started.then((port) => port && this.o.log.info({ port }, 'mesh tunnel listening'));
    return this.started;
  }

  /** The bound port (0 when not listening). */
  async port(): Promise<number> {
    return this.started ? await this.started : 0;
  }

  async stop(): Promise<void> {
    const started = this.started;
    this.started = null;
    await started?.catch(() => 0);
    await this.server.close();
    await this.mesh.setTunnelCredentials(undefined).catch(() => undefined);
  }
}
