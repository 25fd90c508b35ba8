import type { MeshService } from '@flotilla/manager';
import { planVips, wantedVips } from './vip-addresses';

const svc = (serviceId: string, networks: MeshService['networks']): MeshService => ({
  serviceId,
  name: serviceId,
  endpointMode: 'vip',
  ports: [],
  vipPorts: [],
  networks,
  backends: [],
});

describe('service VIPs on the bridges (plan)', () => {
  const view = [
    svc('a', [
      { id: 'N1', name: 'lab_default', aliases: [], vip: '198.19.128.128' },
      { id: 'N2', name: 'lab_back', aliases: [], vip: '198.19.129.128' },
    ]),
    svc('b', [{ id: 'N1', name: 'lab_default', aliases: [], vip: '198.19.128.129' }]),
    svc('c', [{ id: 'N1', name: 'lab_default', aliases: [] }]),
  ];

  test('wanted: every VIP of the view by network name', () => {
    expect(wantedVips(view)).toEqual(
      new Map([
        ['lab_default', new Set(['198.19.128.128', '198.19.128.129'])],
        ['lab_back', new Set(['198.19.129.128'])],
      ]),
    );
  });

  test('adds what is missing, removes stale /32s of the subnet, leaves other addresses alone; no bridge, no VIP', () => {
    const plan = planVips(
      [
        {
          network: 'lab_default',
          bridge: 'flbr3',
          subnet: '198.19.128.0/24',
          present: ['198.19.128.129', '198.19.128.140', '10.9.9.9'],
        },
      ],
      wantedVips(view),
    );
    expect(plan.add).toEqual([{ bridge: 'flbr3', ip: '198.19.128.128' }]);
    expect(plan.del).toEqual([{ bridge: 'flbr3', ip: '198.19.128.140' }]);
    // lab_back has no bridge on this node: its VIP is not local (the mesh does not listen on it)
    expect(plan.local).toEqual(new Set(['198.19.128.128', '198.19.128.129']));
  });

  test('an empty view (daemon start, stop, swarm leave) removes every VIP', () => {
    const plan = planVips(
      [
        {
          network: 'lab_default',
          bridge: 'flbr3',
          subnet: '198.19.128.0/24',
          present: ['198.19.128.128', '198.19.128.129'],
        },
      ],
      wantedVips([]),
    );
    expect(plan.del.map((d) => d.ip)).toEqual(['198.19.128.128', '198.19.128.129']);
    expect(plan.add).toEqual([]);
  });
});
