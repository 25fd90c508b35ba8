// The dispatcher's writes of a node's state (ready when its session opens, down when it misses
// its heartbeats).
import type { Store } from '../store/store';
import type { Node } from '../store/types';

export async function markNode(
  store: Store,
  nodeId: string,
  state: Node['Status']['State'],
  description?: Node['Description'],
): Promise<void> {
  await store.update((tx) => {
    const n = tx.get('nodes', nodeId);
    if (!n) return;
    // A session that opens again (leader change, renewed certificate) changes nothing: no write,
    // so that clients holding the node's version are not refused for nothing.
    // The TLSInfo a node reported to the CA is not part of what its session sends: keep it.
    const desc =
      description && n.Description.TLSInfo ? { ...description, TLSInfo: n.Description.TLSInfo } : description;
    if (n.Status.State === state && (!desc || JSON.stringify(desc) === JSON.stringify(n.Description))) return;
    tx.update('nodes', {
      ...n,
      ...(desc ? { Description: desc } : {}),
      Status: { ...n.Status, State: state, Message: state === 'down' ? 'heartbeat failure' : '' },
    });
  });
}
