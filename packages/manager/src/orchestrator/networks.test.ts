import { LocalProposer, Store } from '../store/store';
import { CLUSTER_OBJECT_ID, type ClusterObject } from '../store/tables';
import { makeTask } from '../testing/fixtures';
import { NetworkAllocator, releaseUnusedNetworks } from './networks';

const AT = '2026-01-01T00:00:00Z';

function store(pool?: { DefaultAddrPool: string[]; SubnetSize: number }) {
  const p = new LocalProposer();
  const s = new Store(p);
  p.store = s;
  const cluster: ClusterObject = {
    ID: CLUSTER_OBJECT_ID,
    Version: { Index: 0 },
    CreatedAt: AT,
    UpdatedAt: AT,
    Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5 }, Dispatcher: { HeartbeatPeriod: 1e9 } },
    ...pool,
  };
  return s.update((tx) => tx.create('clusters', cluster)).then(() => s);
}

const onNet = (id: string, ...nets: string[]) =>
  makeTask(id, 'svc', {
    slot: 1,
    spec: { ContainerSpec: { Image: 'x' }, Networks: nets.map((Target) => ({ Target })) },
  });

describe('swarm network subnets', () => {
  test('one subnet per network from the cluster pool, shared by every task of that network, in one transaction', async () => {
    const s = await store({ DefaultAddrPool: ['10.20.0.0/16'], SubnetSize: 26 });
    const attached: ReturnType<NetworkAllocator['attach']>[] = [];
    await s.update((tx) => {
      const a = new NetworkAllocator(tx, AT);
      for (const t of [onNet('t1', 'lab_web'), onNet('t2', 'lab_web', 'lab_back'), onNet('t3')])
        attached.push(a.attach(t));
    });
    const subnets = (i: number) =>
      attached[i]!.NetworksAttachments?.map((n) => n.Network.IPAMOptions?.Configs[0]?.Subnet);
    expect(subnets(0)).toEqual(['10.20.0.0/26']);
    expect(subnets(1)).toEqual(['10.20.0.0/26', '10.20.0.64/26']);
    expect(subnets(2)).toBeUndefined();
    expect(attached[0]!.NetworksAttachments![0]!.Network.IPAMOptions!.Configs[0]!.Gateway).toBe('10.20.0.1');
    expect(
      s.state
        .list('networks')
        .map((n) => n.Spec.Name)
        .sort(),
    ).toEqual(['lab_back', 'lab_web']);

    // A later pass reuses the network; a new one gets the next free subnet.
    await s.update((tx) => {
      const a = new NetworkAllocator(tx, AT);
      expect(a.attach(onNet('t4', 'lab_web')).NetworksAttachments![0]!.Network.IPAMOptions!.Configs[0]!.Subnet).toBe(
        '10.20.0.0/26',
      );
      expect(a.attach(onNet('t5', 'other')).NetworksAttachments![0]!.Network.IPAMOptions!.Configs[0]!.Subnet).toBe(
        '10.20.0.128/26',
      );
    });
  });

  test('without a pool the default 198.19.128.0/17 in /24s; an exhausted pool is an error that names the cause', async () => {
    const s = await store();
    await s.update((tx) => {
      expect(
        new NetworkAllocator(tx, AT).attach(onNet('t1', 'n')).NetworksAttachments![0]!.Network.IPAMOptions!.Configs[0]!
          .Subnet,
      ).toBe('198.19.128.0/24');
    });
    const tiny = await store({ DefaultAddrPool: ['10.9.0.0/24'], SubnetSize: 24 });
    await expect(
      tiny.update((tx) => {
        const a = new NetworkAllocator(tx, AT);
        a.attach(onNet('t1', 'one'));
        a.attach(onNet('t2', 'two'));
      }),
    ).rejects.toThrow(/non-overlapping IPv4 address pool/);
  });

  test('a network no service and no task uses any more goes back to the pool', async () => {
    const s = await store();
    await s.update((tx) => void new NetworkAllocator(tx, AT).attach(onNet('t1', 'gone')));
    await s.update((tx) => tx.create('tasks', new NetworkAllocator(tx, AT).attach(onNet('t2', 'kept'))));
    await s.update((tx) => releaseUnusedNetworks(tx));
    expect(s.state.list('networks').map((n) => n.Spec.Name)).toEqual(['kept']);
  });
});
