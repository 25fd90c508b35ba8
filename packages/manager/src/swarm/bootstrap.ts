// The objects `swarm init` writes in its first transaction: the cluster (CA, join secrets,
// settings) and this node, the first manager. Pure: a transaction goes in.
import { newSecret } from '../ca/tokens';
import { newUnlockKey } from './unlock-key';
import type { TxBuilder } from '../store/store';
import { CLUSTER_OBJECT_ID } from '../store/tables';
import type { Node } from '../store/types';

export interface BootstrapInput {
  clusterId: string;
  nodeId: string;
  ca: { certPem: string; keyPem: string };
  advertiseAddr: string;
  description: Node['Description'];
  heartbeatPeriodMs?: number;
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  /** `swarm init --autolock`: the managers' keys are wrapped with an unlock key from the start. */
  autoLockManagers?: boolean;
  /** ISO time of creation. */
  at: string;
}

export function writeBootstrapObjects(tx: TxBuilder, o: BootstrapInput): void {
  tx.create('clusters', {
    ID: CLUSTER_OBJECT_ID,
    Version: { Index: 0 },
    CreatedAt: o.at,
    UpdatedAt: o.at,
    Spec: {
      Name: 'default',
      Orchestration: { TaskHistoryRetentionLimit: 5 },
      Dispatcher: { HeartbeatPeriod: (o.heartbeatPeriodMs ?? 1000) * 1e6 },
      EncryptionConfig: { AutoLockManagers: !!o.autoLockManagers },
    },
    ...(o.DefaultAddrPool ? { DefaultAddrPool: o.DefaultAddrPool, SubnetSize: o.SubnetSize } : {}),
    Data: {
      clusterId: o.clusterId,
      caCertPem: o.ca.certPem,
      caKeyPem: o.ca.keyPem,
      workerSecret: newSecret(),
      managerSecret: newSecret(),
      ...(o.autoLockManagers ? { unlockKey: newUnlockKey() } : {}),
    },
  });
  tx.create('nodes', {
    ID: o.nodeId,
    Version: { Index: 0 },
    CreatedAt: o.at,
    UpdatedAt: o.at,
    Spec: { Labels: {}, Role: 'manager', Availability: 'active' },
    Description: o.description,
    Status: { State: 'unknown', Addr: o.advertiseAddr.split(':')[0] ?? '' },
    ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: o.advertiseAddr },
  });
}

/** `--force-new-cluster`: every other manager becomes a worker in the store (its node stays, down, for `node rm`). */
export function demoteOtherManagers(tx: TxBuilder, selfId: string): void {
  for (const n of tx.list('nodes')) {
    if (n.ID === selfId || n.Spec.Role !== 'manager') continue;
    const { ManagerStatus: _gone, ...rest } = n;
    void _gone;
    tx.update('nodes', { ...rest, Spec: { ...n.Spec, Role: 'worker' } });
  }
}
