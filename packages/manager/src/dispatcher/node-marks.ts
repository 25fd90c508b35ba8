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
    if (n.Status.State === state && (!description || JSON.stringify(description) === JSON.stringify(n.Description)))
      return;
    tx.update('nodes', {
      ...n,
      ...(description ? { Description: description } : {}),
      Status: { ...n.Status, State: state, Message: state === 'down' ? 'heartbeat failure' : '' },
    });
  });
}
