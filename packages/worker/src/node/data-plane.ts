// This node's swarm data plane: the routing mesh on published ports, the tunnel other nodes'
// meshes dial into, service VIPs on the bridges, service names in the embedded DNS, and the
// swarm networks of tasks. Built once per daemon; follows the managers' mesh view.
import type { Logger, NetworkService } from '@flotilla/engine-core';
import { RoutingMesh } from '../mesh';
import { MeshController } from './mesh-controller';
import { MeshTunnel } from './mesh-tunnel';
import { serviceDnsSource } from './service-dns';
import { TaskNetworks } from './task-networks';
import { VipAddresses } from './vip-addresses';

export interface DataPlaneOptions {
  networks: NetworkService;
  /** The swarm's logger; each part logs with its own `component`. */
  log: Logger;
  /** This node's ID ('' when not in a swarm). */
  nodeId: () => string;
  meshAcceptLoops: number;
  meshTunnelPort?: number;
}

export class NodeDataPlane {
  readonly mesh: RoutingMesh;
  readonly meshCtl: MeshController;
  readonly meshTunnel: MeshTunnel;
  readonly taskNetworks: TaskNetworks;
  private readonly vipAddresses: VipAddresses;
  private readonly removeDnsSource: () => void;

  constructor(private readonly o: DataPlaneOptions) {
    const { log } = o;
    this.mesh = new RoutingMesh({ log: log.child({ component: 'mesh' }), acceptLoops: o.meshAcceptLoops });
    this.vipAddresses = new VipAddresses(o.networks, log.child({ component: 'vip' }));
    this.meshCtl = new MeshController(this.mesh, o.nodeId, log, this.vipAddresses);
    this.meshTunnel = new MeshTunnel(this.mesh, (task, port) => this.meshCtl.localTarget(task, port), {
      port: o.meshTunnelPort,
      log: log.child({ component: 'mesh-tunnel' }),
    });
    this.taskNetworks = new TaskNetworks(o.networks, () => this.meshCtl.refresh());
    // Service names on swarm networks for the embedded DNS (`redis`, `lab_redis`, `tasks.redis`).
    this.removeDnsSource = o.networks.addDnsSource(serviceDnsSource(() => this.meshCtl.view(), o.nodeId));
  }

  /** Takes the service VIPs off the bridges; a failure is logged with `what`. */
  async clearVips(what: string): Promise<void> {
    await this.vipAddresses.clear().catch((e: Error) => this.o.log.warn({ err: e.message }, what));
  }

  /** Leaving the swarm: no services, no VIPs, no tunnel (the mesh itself stays for the next swarm). */
  async leave(): Promise<void> {
    await this.meshCtl.close();
    await this.clearVips('could not remove the service VIPs from the bridges');
    await this.meshTunnel.stop();
  }

  /** The daemon stops. */
  async close(): Promise<void> {
    await this.meshCtl.close();
    await this.clearVips('could not remove the service VIPs from the bridges');
    this.removeDnsSource();
    await this.meshTunnel.stop();
    await this.mesh.close();
  }
}
