import { parseIp } from '@flotilla/engine-core';
import { LocalProposer, Store } from '../store/store';
import { CLUSTER_OBJECT_ID, type ClusterObject, type NetworkObject } from '../store/tables';
import type { Service } from '../store/types';
import { ServiceApi } from '../controlapi/services';
import type { ServiceSpec } from '../types';
import { Orchestrator } from './orchestrator';
import { desiredVips, subnetHalves, taskIpRange, vipsInUse } from './vips';

const AT = '2026-01-01T00:00:00Z';

const net = (ID: string, Name: string, Subnet: string): NetworkObject => ({
  ID,
  Version: { Index: 1 },
  CreatedAt: AT,
  UpdatedAt: AT,
  Spec: { Name, Driver: 'overlay', IPAM: { Config: [{ Subnet }] } },
});
const svc = (
  ID: string,
  nets: string[],
  opts: { mode?: 'vip' | 'dnsrr'; vips?: { NetworkID: string; Addr: string }[] } = {},
): Service => ({
  ID,
  Version: { Index: 1 },
  CreatedAt: AT,
  UpdatedAt: AT,
  Spec: {
    Name: ID,
    Mode: { Replicated: { Replicas: 1 } },
    TaskTemplate: { ContainerSpec: { Image: 'x' }, Networks: nets.map((Target) => ({ Target })) },
    EndpointSpec: { Mode: opts.mode ?? 'vip' },
  },
  Endpoint: { Spec: { Mode: opts.mode ?? 'vip' }, ...(opts.vips ? { VirtualIPs: opts.vips } : {}) },
});

describe('VIP allocation (pure)', () => {
  const nets = new Map([
    ['back', net('N1', 'back', '10.0.1.0/24')],
    ['tiny', net('N2', 'tiny', '10.0.2.0/30')],
    ['small', net('N3', 'small', '10.0.3.0/29')],
  ]);

  test('a subnet splits into tasks (lower half) and VIPs (upper half); tiny subnets do not split', () => {
    expect(taskIpRange('198.19.128.0/24')).toBe('198.19.128.0/25');
    expect(subnetHalves('198.19.128.0/24')!.vips).toEqual({
      base: (198 * 2 ** 24 + 19 * 2 ** 16 + 128 * 256 + 128) >>> 0,
      prefix: 25,
    });
    expect(taskIpRange('10.0.0.0/16')).toBe('10.0.0.0/17');
    expect(taskIpRange('10.0.2.0/30')).toBeUndefined();
  });

  test('lowest free address of the upper half, one per network; none in dnsrr mode or on a tiny subnet', () => {
    const used = vipsInUse([]);
    expect(desiredVips(svc('a', ['back', 'tiny']), nets, used)).toEqual([{ NetworkID: 'N1', Addr: '10.0.1.128/24' }]);
    expect(desiredVips(svc('b', ['back']), nets, used)).toEqual([{ NetworkID: 'N1', Addr: '10.0.1.129/24' }]);
    expect(desiredVips(svc('c', ['back'], { mode: 'dnsrr' }), nets, used)).toEqual([]);
    expect(desiredVips(svc('d', ['unknown']), nets, used)).toEqual([]);
  });

  test('a held VIP is kept; a taken or out-of-range one is replaced; leaving a network gives it back', () => {
    const held = svc('a', ['back'], { vips: [{ NetworkID: 'N1', Addr: '10.0.1.200/24' }] });
    const clash = svc('b', ['back'], { vips: [{ NetworkID: 'N1', Addr: '10.0.1.200/24' }] });
    const low = svc('c', ['back'], { vips: [{ NetworkID: 'N1', Addr: '10.0.1.5/24' }] });
    const used = vipsInUse([held]);
    expect(desiredVips(held, nets, used)).toEqual([{ NetworkID: 'N1', Addr: '10.0.1.200/24' }]);
    expect(desiredVips(clash, nets, used)).toEqual([{ NetworkID: 'N1', Addr: '10.0.1.128/24' }]);
    expect(desiredVips(low, nets, used)).toEqual([{ NetworkID: 'N1', Addr: '10.0.1.129/24' }]);
    // `held` leaves the network: .200 is free again for the next one that needs an address.
    expect(
      desiredVips(
        { ...held, Spec: { ...held.Spec, TaskTemplate: { ...held.Spec.TaskTemplate, Networks: [] } } },
        nets,
        used,
      ),
    ).toEqual([]);
    expect(used.get('N1')!.has(parseIp('10.0.1.200'))).toBe(false);
  });

  test('an exhausted upper half is an error naming the network (the broadcast address is never a VIP)', () => {
    const used = vipsInUse([]);
    // 10.0.3.0/29: VIPs .4-.6 (.7 is the broadcast address)
    for (const id of ['a', 'b', 'c']) desiredVips(svc(id, ['small']), nets, used);
    expect([...used.get('N3')!.keys()].length).toBe(3);
    expect(() => desiredVips(svc('d', ['small']), nets, used)).toThrow(
      /no free virtual IP left in 10.0.3.4\/30 \(the upper half of network small's subnet\)/,
    );
  });
});

function newStore(): Promise<Store> {
  const p = new LocalProposer();
  const s = new Store(p);
  p.store = s;
  const cluster: ClusterObject = {
    ID: CLUSTER_OBJECT_ID,
    Version: { Index: 0 },
    CreatedAt: AT,
    UpdatedAt: AT,
    Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5 }, Dispatcher: { HeartbeatPeriod: 1e9 } },
  };
  return s.update((tx) => tx.create('clusters', cluster)).then(() => s);
}

const spec = (
  Name: string,
  nets: { Target: string; Aliases?: string[] }[],
  mode: 'vip' | 'dnsrr' = 'vip',
): ServiceSpec => ({
  Name,
  Mode: { Replicated: { Replicas: 1 } },
  TaskTemplate: { ContainerSpec: { Image: 'busybox' }, Networks: nets },
  EndpointSpec: { Mode: mode },
});

describe('VIPs through the orchestrator and the Raft store', () => {
  test('allocated in the upper half, tasks told the lower half; stable across passes and a new leader; released on leave and remove', async () => {
    const store = await newStore();
    const api = new ServiceApi(store);
    const orch = new Orchestrator(store);
    orch.start();
    const { ID: redis } = await api.create(spec('lab_redis', [{ Target: 'lab_default', Aliases: ['redis'] }]));
    const { ID: web } = await api.create(spec('lab_web', [{ Target: 'lab_default', Aliases: ['web'] }]));
    const { ID: rr } = await api.create(spec('lab_rr', [{ Target: 'lab_default' }], 'dnsrr'));
    await orch.pass();
    const netw = store.state.findByName('networks', 'lab_default')!;
    expect(netw.Spec.IPAM!.Config![0]).toEqual({
      Subnet: '198.19.128.0/24',
      Gateway: '198.19.128.1',
      IPRange: '198.19.128.0/25',
    });
    const vipOf = (id: string, s = store) => s.state.get('services', id)!.Endpoint?.VirtualIPs;
    const mine = [vipOf(redis)![0]!.Addr, vipOf(web)![0]!.Addr].sort();
    expect(mine).toEqual(['198.19.128.128/24', '198.19.128.129/24']);
    expect(vipOf(redis)![0]!.NetworkID).toBe(netw.ID);
    expect(vipOf(rr)).toBeUndefined();
    const task = store.state.list('tasks').find((t) => t.ServiceID === redis)!;
    expect(task.NetworksAttachments![0]!.Network.IPAMOptions!.Configs[0]).toEqual({
      Subnet: '198.19.128.0/24',
      Gateway: '198.19.128.1',
      IPRange: '198.19.128.0/25',
    });

    // Another pass, and a new leader's orchestrator on a replica restored from a snapshot: no write, same addresses.
    const version = store.state.get('services', redis)!.Version.Index;
    orch.stop();
    orch.start(); // a pass over every service
    await orch.pass();
    expect(store.state.get('services', redis)!.Version.Index).toBe(version);
    const replica = await newStore();
    replica.restore(store.snapshot(), store.applied);
    const second = new Orchestrator(replica);
    second.start();
    await second.pass();
    second.stop();
    expect(vipOf(redis, replica)).toEqual(vipOf(redis));
    expect(replica.state.get('services', redis)!.Version.Index).toBe(version);

    // A service update keeps the VIP; leaving the network gives it back; another service then may take it.
    const redisVip = vipOf(redis)![0]!.Addr;
    const cur = store.state.get('services', redis)!;
    await api.update(redis, cur.Version.Index, { ...cur.Spec, Labels: { x: '1' } });
    await orch.pass();
    expect(vipOf(redis)![0]!.Addr).toBe(redisVip);
    const cur2 = store.state.get('services', redis)!;
    await api.update(redis, cur2.Version.Index, {
      ...cur2.Spec,
      TaskTemplate: { ...cur2.Spec.TaskTemplate, Networks: [{ Target: 'lab_other' }] },
    });
    await orch.pass();
    expect(vipOf(redis)).toEqual([
      { NetworkID: store.state.findByName('networks', 'lab_other')!.ID, Addr: '198.19.129.128/24' },
    ]);
    const { ID: late } = await api.create(spec('lab_late', [{ Target: 'lab_default' }]));
    await orch.pass();
    expect(vipOf(late)![0]!.Addr).toBe(redisVip);

    // Going dnsrr drops the VIP; removing the service drops it with the service.
    const w = store.state.get('services', web)!;
    await api.update(web, w.Version.Index, { ...w.Spec, EndpointSpec: { Mode: 'dnsrr' } });
    await orch.pass();
    expect(vipOf(web)).toBeUndefined();
    await api.remove(late);
    await orch.pass();
    expect(
      store.state
        .list('services')
        .flatMap((s) => s.Endpoint?.VirtualIPs ?? [])
        .map((v) => v.Addr),
    ).toEqual(['198.19.129.128/24']);
    orch.stop();
  });

  test("dnsrr with an ingress port is refused with docker's text", async () => {
    const api = new ServiceApi(await newStore());
    await expect(
      api.create({
        ...spec('x', []),
        EndpointSpec: {
          Mode: 'dnsrr',
          Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }],
        },
      }),
    ).rejects.toThrow("port published with ingress mode can't be used with dnsrr mode");
  });
});
