// Who may send Raft messages to a manager: only managers of this swarm (moved out of manager.ts).
import type { RaftNodeOptions } from '@flotilla/raft';
import { callerIdentity } from '../dispatcher/identity';
import type { Store } from '../store/store';

export function managersOnly(store: () => Store, clusterId: string): NonNullable<RaftNodeOptions['authorize']> {
  return (call) => {
    const id = callerIdentity(call, clusterId);
    if (id.role !== 'swarm-manager') throw new Error('only managers may send Raft messages');
    // A manager demoted meanwhile (or left behind by --force-new-cluster) still holds a manager
    // certificate: the store says it is no longer one. (A node this replica does not know yet may
    // be the leader feeding a joining manager its first entries.)
    const n = store().state.get('nodes', id.nodeId);
    if (n && n.Spec.Role !== 'manager') throw new Error(`node ${id.nodeId} is no longer a manager of this swarm`);
  };
}
