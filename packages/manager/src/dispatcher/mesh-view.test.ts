import type { StoreState } from '../store/state';
import { TaskState } from '../store/types';
import { meshView } from './mesh-view';

/** Only what meshView reads: services, tasks, networks by name and node addresses. */
function state(rows: {
  services: unknown[];
  tasks: unknown[];
  nodes: { ID: string; Status: { Addr: string } }[];
  networks?: { ID: string; Spec: { Name: string } }[];
}): StoreState {
  return {
    list: (t: 'services' | 'tasks' | 'nodes') => rows[t],
    get: (t: 'nodes', id: string) => (t === 'nodes' ? rows.nodes.find((n) => n.ID === id) : undefined),
    findByName: (t: 'networks', name: string) =>
      t === 'networks' ? rows.networks?.find((n) => n.Spec.Name === name) : undefined,
  } as unknown as StoreState;
}

const service = {
  ID: 'web',
  Spec: { Name: 'lab_web', TaskTemplate: {} },
  Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 4000, PublishMode: 'ingress' }] },
};
const task = (ID: string, NodeID: string, addr: string, s = TaskState.RUNNING) => ({
  ID,
  ServiceID: 'web',
  NodeID,
  DesiredState: TaskState.RUNNING,
  Status: { State: s, Addresses: [addr] },
});

describe('meshView', () => {
  it("gives each running task its node's tunnel address (the node's address and the port it reported)", () => {
    const s = state({
      services: [service],
      tasks: [
        task('t1', 'n1', '198.19.0.2/24'),
        task('t2', 'n2', '198.19.0.2/24'),
        task('t3', 'n3', '198.19.0.3/24'),
        task('t4', 'n2', '198.19.0.4/24', TaskState.STARTING),
      ],
      nodes: [
        { ID: 'n1', Status: { Addr: '198.18.0.2' } },
        { ID: 'n2', Status: { Addr: 'fd00::3' } },
        { ID: 'n3', Status: { Addr: '198.18.0.4' } },
      ],
    });
    const view = meshView(
      s,
      new Map([
        ['n1', 7946],
        ['n2', 40001],
      ]),
    );
    expect(view).toEqual([
      {
        serviceId: 'web',
        name: 'lab_web',
        endpointMode: 'vip',
        ports: [{ published: 4000, target: 80, protocol: 'tcp' }],
        networks: [],
        vipPorts: [],
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

  it('gives each service its names, aliases and VIP per network and the TCP target ports its VIPs serve; services without ingress ports too', () => {
    const ep = (Mode: 'vip' | 'dnsrr', vips: { NetworkID: string; Addr: string }[], Ports: unknown[] = []) => ({
      Spec: { Mode, Ports },
      Ports,
      VirtualIPs: vips,
    });
    const tmpl = (Networks: unknown[]) => ({ ContainerSpec: { Image: 'x' }, Networks });
    const s = state({
      networks: [
        { ID: 'N1', Spec: { Name: 'lab_default' } },
        { ID: 'N2', Spec: { Name: 'lab_back' } },
      ],
      services: [
        {
          ID: 'redis',
          Spec: {
            Name: 'lab_redis',
            EndpointSpec: { Mode: 'vip' },
            TaskTemplate: tmpl([
              { Target: 'lab_default', Aliases: ['redis'] },
              { Target: 'lab_back', Aliases: ['redis', 'db'] },
            ]),
          },
          Endpoint: ep(
            'vip',
            [
              { NetworkID: 'N1', Addr: '198.19.128.128/24' },
              { NetworkID: 'N2', Addr: '198.19.129.128/24' },
            ],
            [
              { Protocol: 'tcp', TargetPort: 6379, PublishMode: 'host', PublishedPort: 6379 },
              { Protocol: 'udp', TargetPort: 53, PublishMode: 'ingress', PublishedPort: 5353 },
              { Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress', PublishedPort: 8080 },
            ],
          ),
        },
        {
          ID: 'rr',
          Spec: { Name: 'lab_rr', EndpointSpec: { Mode: 'dnsrr' }, TaskTemplate: tmpl([{ Target: 'lab_default' }]) },
          Endpoint: ep('dnsrr', []),
        },
        { ID: 'alone', Spec: { Name: 'alone', TaskTemplate: tmpl([]) }, Endpoint: ep('vip', []) },
      ],
      tasks: [
        {
          ID: 't1',
          ServiceID: 'rr',
          NodeID: 'n1',
          DesiredState: TaskState.RUNNING,
          Status: { State: TaskState.RUNNING, Addresses: ['198.19.128.5/24'], ExposedPorts: [8000] },
        },
        // the image's EXPOSE of a running task joins its service's VIP ports; a stopped task's does not
        {
          ID: 't2',
          ServiceID: 'redis',
          NodeID: 'n1',
          DesiredState: TaskState.RUNNING,
          Status: { State: TaskState.RUNNING, Addresses: ['198.19.128.6/24'], ExposedPorts: [6380, 80] },
        },
        {
          ID: 't3',
          ServiceID: 'redis',
          NodeID: 'n1',
          DesiredState: TaskState.SHUTDOWN,
          Status: { State: TaskState.COMPLETE, Addresses: ['198.19.128.7/24'], ExposedPorts: [9999] },
        },
      ],
      nodes: [],
    });
    const view = meshView(s);
    expect(view.map((v) => v.serviceId)).toEqual(['redis', 'rr']);
    expect(view[0]).toMatchObject({
      name: 'lab_redis',
      endpointMode: 'vip',
      ports: [
        { published: 5353, target: 53, protocol: 'udp' },
        { published: 8080, target: 80, protocol: 'tcp' },
      ],
      networks: [
        { id: 'N1', name: 'lab_default', aliases: ['redis'], vip: '198.19.128.128' },
        { id: 'N2', name: 'lab_back', aliases: ['redis', 'db'], vip: '198.19.129.128' },
      ],
      vipPorts: [80, 6379, 6380],
      backends: [{ taskId: 't2', nodeId: 'n1', address: '198.19.128.6/24' }],
    });
    expect(view[1]).toEqual({
      serviceId: 'rr',
      name: 'lab_rr',
      endpointMode: 'dnsrr',
      ports: [],
      networks: [{ id: 'N1', name: 'lab_default', aliases: [] }],
      vipPorts: [],
      backends: [{ taskId: 't1', nodeId: 'n1', address: '198.19.128.5/24' }],
    });
  });
});
