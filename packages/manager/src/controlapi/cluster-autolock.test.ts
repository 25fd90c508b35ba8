// `swarm update --autolock` and `rotateManagerUnlockKey` on the cluster object (swarmkit's rules).
import type { ClusterObject } from '../store/tables';
import { unlockKeyData, updatedClusterSpec } from './cluster';

const cluster = (autolock?: boolean, data: Record<string, unknown> = { workerSecret: 'w' }): ClusterObject => ({
  ID: 'cluster',
  Version: { Index: 3 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: {
    Name: 'default',
    Orchestration: { TaskHistoryRetentionLimit: 5 },
    Dispatcher: { HeartbeatPeriod: 5e9 },
    ...(autolock === undefined ? {} : { EncryptionConfig: { AutoLockManagers: autolock } }),
  },
  Data: data,
});

describe('autolock in swarm update', () => {
  it('EncryptionConfig.AutoLockManagers is taken from the body; absent keeps the current setting', () => {
    expect(
      updatedClusterSpec(cluster(false), { EncryptionConfig: { AutoLockManagers: true } }).EncryptionConfig,
    ).toEqual({
      AutoLockManagers: true,
    });
    expect(updatedClusterSpec(cluster(true), {}).EncryptionConfig).toEqual({ AutoLockManagers: true });
    expect(() => updatedClusterSpec(cluster(), { EncryptionConfig: { AutoLockManagers: 'yes' } })).toThrow(
      /EncryptionConfig.AutoLockManagers/,
    );
  });

  it('turning autolock on makes a key; keeping it on keeps it; rotate replaces it', () => {
    const on = cluster(true).Spec;
    const d1 = unlockKeyData({ workerSecret: 'w' }, on, false);
    expect(d1.unlockKey).toMatch(/^SWMKEY-1-/);
    expect(d1.workerSecret).toBe('w');
    expect(unlockKeyData(d1, on, false).unlockKey).toBe(d1.unlockKey);
    const d2 = unlockKeyData(d1, on, true);
    expect(d2.unlockKey).toMatch(/^SWMKEY-1-/);
    expect(d2.unlockKey).not.toBe(d1.unlockKey);
    expect(d2.workerSecret).toBe('w');
  });

  it('turning autolock off drops the key (a later rotate makes none)', () => {
    const off = cluster(false).Spec;
    const d = unlockKeyData({ unlockKey: 'SWMKEY-1-x' }, off, false);
    expect(d.unlockKey).toBeUndefined();
    expect(unlockKeyData(d, off, true).unlockKey).toBeUndefined();
  });
});
