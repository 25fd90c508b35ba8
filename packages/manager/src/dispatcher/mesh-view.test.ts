import type { StoreState } from '../store/state';
import { TaskState } from '../store/types';
import { meshView } from './mesh-view';

/** Only what meshView reads: services, tasks and node addresses. */
function state(rows: { services: unknown[]; tasks: unknown[]; nodes: { ID: string; Status: { Addr: string } }[] }): StoreState {
  return {
    list: (t: 'services' | 'tasks' | 'nodes') => rows[t],
    get: (t: 'nodes', id: string) => (t === 'nodes' ? rows.nodes.find((n) => n.ID === id) : undefined),
  } as unknown as StoreState;
}

const service = { ID: 'web', Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 4000, PublishMode: 'ingress' }] } };
const task = (ID: string, NodeID: string, addr: string, s = TaskState.RUNNING) => ({ ID, ServiceID: 'web', NodeID, DesiredState: TaskState.RUNNING, Status: { State: s, Addresses: [addr] } });

describe('meshView', () => {
  it("gives each running task its node's tunnel address (the node's address and the port it reported)", () => {
    const s = state({
      services: [service],
      tasks: [task('t1', 'n1', '198.19.0.2/24'), task('t2', 'n2', '198.19.0.2/24'), task('t3', 'n3', '198.19.0.3/24'), task('t4', 'n2', '198.19.0.4/24', TaskState.STARTING)],
      nodes: [
        { ID: 'n1', Status: { Addr: '198.18.0.2' } },
        { ID: 'n2', Status: { Addr: 'fd00::3' } },
        { ID: 'n3', Status: { Addr: '198.18.0.4' } },
      ],
    });
    const view = meshView(s, new Map([['n1', 7946], ['n2', 40001]]));
    expect(view).toEqual([
      {
        serviceId: 'web',
        ports: [{ published: 4000, target: 80, protocol: 'tcp' }],
        backends: [
          { taskId: 't1', nodeId: 'n1', address: '198.19.0.2/24', tunnel: '198.18.0.2:7946' },
          { taskId: 't2', nodeId: 'n2', address: '198.19.0.2/24', tunnel: '[fd00::3]:40001' },
          // n3 has not reported a tunnel port: other nodes cannot reach t3 (its own node can).
          { taskId: 't3', nodeId: 'n3', address: '198.19.0.3/24' },
        ],
      },
    ]);
    // Without tunnel ports the view is what it was before tunnels existed.
    expect(meshView(s)[0]!.backends.every((b) => b.tunnel === undefined)).toBe(true);
  });
});
