// Which nodes to ask for an image, in order. Managers first: in the lab the image is built where
// `stack deploy` runs, and a worker knows the managers' addresses even when it knows no other node.
export interface PeerCandidates {
  /** This node's own cluster address (host:port), never asked. */
  self: string;
  /** Manager addresses (host:port) this node knows. */
  managers: string[];
  /** Other nodes from the cluster store (managers have it): host or host:port, and readiness. */
  nodes?: { addr: string; ready: boolean }[];
  /** Port for a node address given without one (the cluster port). */
  port: number;
}

export function peerAddresses(c: PeerCandidates): string[] {
  const withPort = (a: string) => (/:\d+$/.test(a) ? a : `${a}:${c.port}`);
  const out: string[] = [];
  const self = withPort(c.self);
  for (const a of [...c.managers, ...(c.nodes ?? []).filter((n) => n.ready).map((n) => n.addr)]) {
    if (!a) continue;
    const addr = withPort(a);
    if (addr !== self && !addr.startsWith('0.0.0.0:') && !out.includes(addr)) out.push(addr);
  }
  return out;
}
