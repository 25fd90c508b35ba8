// Service discovery names for the engine's embedded DNS (a DnsSource): on a swarm network, a
// service's full name and its aliases there answer its VIP (vip mode) or its task addresses
// (dnsrr mode), and `tasks.<name>` answers its task addresses. Pure over the mesh view.
import type { DnsQuestion, DnsSource } from '@flotilla/engine-core';
import type { MeshService, MeshServiceNetwork } from '@flotilla/manager';

const TASKS = 'tasks.';

/**
 * The addresses of the service's running tasks on this node. Tasks run on the first network of
 * their service only, and a task on another node has no route from here (no overlay: only the
 * VIP reaches it, through the routing mesh), so those are left out.
 */
function localTaskAddresses(s: MeshService, network: string, self: string): string[] {
  if (s.networks[0]?.name !== network) return [];
  return s.backends.filter((b) => b.nodeId === self).map((b) => b.address.split('/', 1)[0] ?? b.address);
}

function named(s: MeshService, n: MeshServiceNetwork, name: string): boolean {
  return s.name.toLowerCase() === name || n.aliases.some((a) => a.toLowerCase() === name);
}

/** Pure: the answer for one question, or undefined when no service of that network has the name. */
export function answerServiceName(view: readonly MeshService[], q: DnsQuestion, self: string): string[] | undefined {
  const name = q.name.toLowerCase().replace(/\.$/, '');
  const tasks = name.startsWith(TASKS);
  const bare = tasks ? name.slice(TASKS.length) : name;
  for (const s of view) {
    const n = (s.networks ?? []).find((x) => x.name === q.networkName);
    if (!n || !named(s, n, bare)) continue;
    if (tasks || s.endpointMode === 'dnsrr' || !n.vip) return localTaskAddresses(s, q.networkName, self);
    return [n.vip];
  }
  return undefined;
}

/** The DnsSource of a node: answers from the latest mesh view the managers sent. */
export function serviceDnsSource(view: () => readonly MeshService[], self: () => string): DnsSource {
  return (q) => answerServiceName(view(), q, self());
}
