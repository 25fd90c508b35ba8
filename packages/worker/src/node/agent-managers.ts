// Which managers a node's agent dials, and in what order, when it (re)starts.
import { localAddr } from './membership';

/**
 * A worker dials the managers it was told of. A manager's agent dials its own manager first (no
 * in-process shortcut), then every other manager it knows of: when its own manager cannot serve
 * it and cannot name the leader (just restarted, or already removed from Raft by a demotion), the
 * agent must still reach a manager that can, or the node never hears of its new role.
 */
export function agentManagers(
  self: { role: 'manager' | 'worker'; advertiseAddr: string; managers: string[] },
  raftManagers: readonly string[] = [],
): string[] {
  if (self.role !== 'manager') return [...self.managers];
  const own = localAddr(self.advertiseAddr);
  const others = [...raftManagers, ...self.managers].filter((a) => a && a !== own && a !== self.advertiseAddr);
  return [own, ...new Set(others)];
}
