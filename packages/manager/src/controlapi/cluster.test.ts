import { parseJoinToken } from '../ca/tokens';
import { VersionConflictError } from '../store/errors';
import { CLUSTER_OBJECT_ID, type ClusterObject } from '../store/tables';
import { localStore } from '../testing/fixtures';
import { ClusterApi, checkAddrPool, updatedClusterSpec } from './cluster';
import { InvalidSpecError } from './errors';

const cluster: ClusterObject = {
  ID: 'cluster',
  Version: { Index: 3 },
  CreatedAt: '2026-01-01T00:00:00Z',
  UpdatedAt: '2026-01-01T00:00:00Z',
  Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5 }, Dispatcher: { HeartbeatPeriod: 1e9 } },
};

describe('swarm update', () => {
  test('--task-history-limit changes only the retention', () => {
    const spec = updatedClusterSpec(cluster, { ...cluster.Spec, Orchestration: { TaskHistoryRetentionLimit: 2 } });
    expect(spec).toEqual({ ...cluster.Spec, Orchestration: { TaskHistoryRetentionLimit: 2 } });
  });

  test('an empty body or a spec without the field keeps the cluster as it is', () => {
    expect(updatedClusterSpec(cluster, undefined)).toEqual(cluster.Spec);
    expect(updatedClusterSpec(cluster, { Name: 'default', Orchestration: null })).toEqual(cluster.Spec);
  });

  test('--cert-expiry sets the lifetime of new node certificates; under an hour is refused like docker', () => {
    expect(updatedClusterSpec(cluster, { CAConfig: { NodeCertExpiry: 2 * 3600e9 } }).CAConfig).toEqual({
      NodeCertExpiry: 2 * 3600e9,
    });
    expect(() => updatedClusterSpec(cluster, { CAConfig: { NodeCertExpiry: 60e9 } })).toThrow(
      'minimum certificate expiry time is 1h0m0s',
    );
  });

  test('a malformed limit is refused with the field named', () => {
    expect(() => updatedClusterSpec(cluster, { Orchestration: { TaskHistoryRetentionLimit: 'five' } })).toThrow(
      InvalidSpecError,
    );
    expect(() => updatedClusterSpec(cluster, { Orchestration: { TaskHistoryRetentionLimit: 1.5 } })).toThrow(
      /Orchestration\.TaskHistoryRetentionLimit/,
    );
  });
});

describe('swarm init --default-addr-pool', () => {
  test('pools are normalized and the mask length defaults to 24', () => {
    expect(checkAddrPool(['10.20.0.0/16', '10.30.1.7/16'], undefined)).toEqual({
      DefaultAddrPool: ['10.20.0.0/16', '10.30.0.0/16'],
      SubnetSize: 24,
    });
    expect(checkAddrPool(['10.20.0.0/16'], 26)).toEqual({ DefaultAddrPool: ['10.20.0.0/16'], SubnetSize: 26 });
    expect(checkAddrPool(undefined, undefined)).toEqual({});
  });

  test('bad pools and mask lengths are refused with what to do', () => {
    expect(() => checkAddrPool(['10.20.0.0/33'], undefined)).toThrow(
      /invalid base pool "10.20.0.0\/33": use an IPv4 CIDR/,
    );
    expect(() => checkAddrPool(['10.20.0.0/16'], 8)).toThrow(/use a mask length between 16 and 30/);
    expect(() => checkAddrPool(['10.20.0.0/16'], 31)).toThrow(/between 16 and 30/);
    expect(() => checkAddrPool([], 8)).toThrow(/invalid subnet size 8 for pool 198.19.128.0\/17/);
  });

  test('a mask length without pools applies to the default pool, as the docker CLI sends it', () => {
    expect(checkAddrPool([], 24)).toEqual({});
    expect(checkAddrPool(undefined, 0)).toEqual({});
    expect(checkAddrPool([], 26)).toEqual({ DefaultAddrPool: ['198.19.128.0/17'], SubnetSize: 26 });
  });
});

describe('cluster API', () => {
  const caCertPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from('not a real certificate').toString('base64')}\n-----END CERTIFICATE-----\n`;

  async function setup() {
    const store = localStore();
    await store.update((tx) =>
      tx.create('clusters', {
        ...cluster,
        ID: CLUSTER_OBJECT_ID,
        Data: { caCertPem, caKeyPem: 'key', workerSecret: 'w'.repeat(25), managerSecret: 'm'.repeat(25) },
      }),
    );
    return { store, api: new ClusterApi(store, 'swarm-id') };
  }

  test("inspect is docker's Swarm object: the cluster ID, default address pool and both join tokens", async () => {
    const { api } = await setup();
    const s = api.inspect();
    expect(s).toMatchObject({ ID: 'swarm-id', DefaultAddrPool: ['198.19.128.0/17'], SubnetSize: 24 });
    // docker shows EncryptionConfig always (AutoLockManagers false when never set)
    expect(s.Spec).toEqual({ ...cluster.Spec, EncryptionConfig: { AutoLockManagers: false } });
    expect(parseJoinToken(s.JoinTokens.Worker).secret).toBe('w'.repeat(25));
    expect(parseJoinToken(s.JoinTokens.Manager).secret).toBe('m'.repeat(25));
    expect(parseJoinToken(s.JoinTokens.Worker).caDigest).toBe(parseJoinToken(s.JoinTokens.Manager).caDigest);
  });

  test('update needs the current version and keeps the spec fields it does not act on', async () => {
    const { api } = await setup();
    const v = api.inspect().Version.Index;
    await api.update(v, { ...cluster.Spec, Orchestration: { TaskHistoryRetentionLimit: 1 } });
    const after = api.inspect();
    expect(after.Spec.Orchestration.TaskHistoryRetentionLimit).toBe(1);
    expect(after.Version.Index).toBeGreaterThan(v);
    await expect(api.update(v, {})).rejects.toThrow(VersionConflictError);
    await expect(api.update(after.Version.Index, { CAConfig: { NodeCertExpiry: 1 } })).rejects.toThrow(
      'minimum certificate expiry time is 1h0m0s',
    );
  });

  test('rotating one role makes a new token for it only', async () => {
    const { api } = await setup();
    const before = api.inspect().JoinTokens;
    await api.rotateJoinToken('worker');
    const after = api.inspect().JoinTokens;
    expect(after.Worker).not.toBe(before.Worker);
    expect(after.Manager).toBe(before.Manager);
  });
});
