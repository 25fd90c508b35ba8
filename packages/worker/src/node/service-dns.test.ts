import type { MeshService } from '@flotilla/manager';
import { answerServiceName, serviceDnsSource } from './service-dns';

const backends = [
  { taskId: 'r1', nodeId: 'n1', address: '198.19.128.2/24' },
  { taskId: 'r2', nodeId: 'n2', address: '198.19.128.2/24', tunnel: '198.18.0.3:7946' },
  { taskId: 'r3', nodeId: 'n1', address: '198.19.128.3/24' },
];
const redis: MeshService = {
  serviceId: 'R',
  name: 'lab_redis',
  endpointMode: 'vip',
  ports: [],
  vipPorts: [6379],
  networks: [
    { id: 'N1', name: 'lab_default', aliases: ['redis'], vip: '198.19.128.128' },
    { id: 'N2', name: 'lab_back', aliases: ['cache'], vip: '198.19.129.128' },
  ],
  backends,
};
const rr: MeshService = {
  ...redis,
  serviceId: 'D',
  name: 'lab_rr',
  endpointMode: 'dnsrr',
  vipPorts: [],
  networks: [{ id: 'N1', name: 'lab_default', aliases: ['rr'] }],
};
const view = [redis, rr];
const ask = (name: string, networkName = 'lab_default', self = 'n1') =>
  answerServiceName(view, { networkId: 'local-id', networkName, name }, self);

describe('service names on swarm networks (DnsSource)', () => {
  test('vip mode: the full name and the aliases of that network answer its VIP there, any case', () => {
    expect(ask('lab_redis')).toEqual(['198.19.128.128']);
    expect(ask('redis')).toEqual(['198.19.128.128']);
    expect(ask('REDIS')).toEqual(['198.19.128.128']);
    expect(ask('lab_redis', 'lab_back')).toEqual(['198.19.129.128']);
    expect(ask('cache', 'lab_back')).toEqual(['198.19.129.128']);
  });

  test('an alias of another network, an unknown name, or a network the service is not on: not ours (undefined)', () => {
    expect(ask('cache')).toBeUndefined();
    expect(ask('redis', 'lab_back')).toBeUndefined();
    expect(ask('lab_redis', 'bridge')).toBeUndefined();
    expect(ask('example.com')).toBeUndefined();
  });

  test("tasks.<name>: the running tasks on this node (their first network only); other nodes' tasks have no route here", () => {
    expect(ask('tasks.lab_redis')).toEqual(['198.19.128.2', '198.19.128.3']);
    expect(ask('tasks.redis')).toEqual(['198.19.128.2', '198.19.128.3']);
    expect(ask('tasks.lab_redis', 'lab_default', 'n2')).toEqual(['198.19.128.2']);
    expect(ask('tasks.lab_redis', 'lab_default', 'n3')).toEqual([]);
    // lab_back is the service's second network: its tasks have no address there
    expect(ask('tasks.cache', 'lab_back')).toEqual([]);
  });

  test('dnsrr mode: the name itself answers the task addresses', () => {
    expect(ask('lab_rr')).toEqual(['198.19.128.2', '198.19.128.3']);
    expect(ask('rr', 'lab_default', 'n2')).toEqual(['198.19.128.2']);
  });

  test('a vip-mode service without a VIP yet answers its task addresses', () => {
    const noVip: MeshService = { ...redis, networks: [{ id: 'N1', name: 'lab_default', aliases: ['redis'] }] };
    expect(answerServiceName([noVip], { networkId: 'x', networkName: 'lab_default', name: 'redis' }, 'n1')).toEqual([
      '198.19.128.2',
      '198.19.128.3',
    ]);
  });

  test('the source reads the latest view each time it is asked', () => {
    let current: MeshService[] = [];
    const source = serviceDnsSource(
      () => current,
      () => 'n1',
    );
    expect(source({ networkId: 'x', networkName: 'lab_default', name: 'redis' })).toBeUndefined();
    current = view;
    expect(source({ networkId: 'x', networkName: 'lab_default', name: 'redis' })).toEqual(['198.19.128.128']);
  });
});
