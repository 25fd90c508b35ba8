// Nodes in the control API: inspect and list (with live manager status), update (promote, demote,
// drain, labels) and remove.
import { VersionConflictError } from '../store/errors';
import type { Store } from '../store/store';
import type { Node } from '../store/types';
import { NodeIsManagerError, NodeNotDownError, NodeNotFoundError } from './errors';
import { parseNodeSpec } from './validate';

/** What node operations need of this manager's Raft membership (the manager provides it). */
export interface NodeMembership {
  /** This manager's node ID. */
  readonly selfId: string;
  isRaftMember(nodeId: string): boolean;
  /** Docker's Node.ManagerStatus as this manager sees it now (undefined for workers). */
  managerStatus(n: Node): Node['ManagerStatus'];
  /** Takes a manager out of Raft (refused when it would cost the quorum). */
  removeManager(nodeId: string): Promise<void>;
  /** Linearizable read barrier: the store is then up to date. */
  barrier(): Promise<void>;
}

/** Finds a node by full ID, hostname or unique ID prefix, like dockerd. */
export function findNode(nodes: Node[], ref: string): Node {
  const byPrefix = nodes.filter((x) => x.ID.startsWith(ref));
  const n =
    nodes.find((x) => x.ID === ref) ??
    nodes.find((x) => x.Description.Hostname === ref) ??
    (byPrefix.length === 1 ? byPrefix[0] : undefined);
  if (!n) throw new NodeNotFoundError(ref);
  return n;
}

/** A demoted manager's node is written again if the leader touched it meanwhile, this many times. */
const DEMOTION_WRITE_ATTEMPTS = 6;

export class NodeApi {
  constructor(
    private readonly store: Store,
    private readonly membership: NodeMembership,
  ) {}

  /** The stored node with its live ManagerStatus (Raft's view, not the stored one). */
  private live(n: Node): Node {
    const { ManagerStatus: stored, ...rest } = n;
    void stored;
    const status = this.membership.managerStatus(n);
    return { ...rest, ...(status ? { ManagerStatus: status } : {}) };
  }

  private find(ref: string): Node {
    return findNode(this.store.state.list('nodes'), ref);
  }

  list(): Node[] {
    return this.store.state.list('nodes').map((n) => this.live(n));
  }

  inspect(ref: string): Node {
    return this.live(this.find(ref));
  }

  /**
   * `node update`: `version` is the Version.Index the caller read (a version that is not an
   * integer skips the check). Demotion leaves Raft first (refused if it would cost the quorum),
   * then the node renews its certificate as a worker.
   */
  async update(ref: string, version: number, body: unknown): Promise<void> {
    const spec = parseNodeSpec(body);
    let n = this.find(ref);
    if (Number.isInteger(version) && version !== n.Version.Index)
      throw new VersionConflictError('nodes', n.ID, version, n.Version.Index);
    const write = (node: Node) =>
      this.store.update((tx) =>
        tx.update('nodes', { ...node, Spec: { ...node.Spec, ...spec, Labels: spec.Labels ?? {} } }),
      );
    if (n.Spec.Role !== 'manager' || spec.Role !== 'worker') return write(n);
    await this.membership.removeManager(n.ID);
    // Meanwhile the leader may have touched the node (its session moved): write on top.
    for (let attempt = 1; ; attempt++) {
      await this.membership.barrier();
      n = this.find(n.ID);
      try {
        return await write(n);
      } catch (e) {
        if (!(e instanceof VersionConflictError) || attempt >= DEMOTION_WRITE_ATTEMPTS) throw e;
      }
    }
  }

  /** `node rm`: a manager must be demoted first; a node that is not down needs `force`. */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    const n = this.find(ref);
    const m = this.membership;
    if (n.ID === m.selfId || n.Spec.Role === 'manager' || m.isRaftMember(n.ID)) throw new NodeIsManagerError(n.ID);
    if (n.Status.State !== 'down' && !opts.force) throw new NodeNotDownError(n.ID);
    await this.store.update((tx) => tx.delete('nodes', n.ID));
  }
}
