// Where each member is reached. Addresses travel in membership changes and in snapshots; those
// given at start win over a snapshot's (the operator may have moved a member). The transport's
// peer connections follow the book.
import { type NodeId } from '../types';

/** The part of the transport that keeps one connection per peer (it ignores this node's own id). */
export interface PeerLinks {
  addPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
}

export class MemberAddresses {
  private readonly byId = new Map<NodeId, string>();

  constructor(
    private readonly self: NodeId,
    private readonly given: Readonly<Record<NodeId, string>>,
    private readonly links: PeerLinks,
  ) {
    for (const [id, addr] of Object.entries(given)) this.byId.set(id, addr);
  }

  get(id: NodeId): string | null {
    return this.byId.get(id) ?? null;
  }

  /** This node's own address (known once its port is bound); connects to every other member. */
  setSelf(address: string): void {
    this.byId.set(this.self, address);
    this.connect();
  }

  /** The addresses a snapshot carried, under those given at start. */
  restore(fromSnapshot: Readonly<Record<NodeId, string>>): void {
    for (const [id, addr] of Object.entries(fromSnapshot)) if (id !== this.self) this.byId.set(id, addr);
    for (const [id, addr] of Object.entries(this.given)) this.byId.set(id, addr);
    this.connect();
  }

  /** A committed membership change added `id` at `address`. */
  added(id: NodeId, address: string): void {
    this.byId.set(id, address);
    if (id !== this.self) this.links.addPeer(id, address);
  }

  /** A committed membership change removed `id`. */
  removed(id: NodeId): void {
    this.byId.delete(id);
    this.links.removePeer(id);
  }

  /** What a snapshot records. */
  toRecord(): Record<NodeId, string> {
    return Object.fromEntries(this.byId);
  }

  private connect(): void {
    for (const [id, addr] of this.byId) if (id !== this.self) this.links.addPeer(id, addr);
  }
}
