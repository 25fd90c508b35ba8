// The swarm (cluster object) in the control API: inspect, `swarm update`, join tokens, and the
// checks of `swarm init`'s address pools.
import { formatCidr, parseCidr } from '@flotilla/engine-core';
import { z } from 'zod';
import { MIN_NODE_CERT_EXPIRY_MS } from '../ca/renewal';
import { applyRotationRequest } from '../ca/rotate';
import { caStateData, caStateOf, requestedRotation, swarmTlsInfo, type CaState } from '../ca/rotation';
import { InvalidCaConfigError } from '../ca/errors';
import { formatJoinToken, newSecret } from '../ca/tokens';
import { DEFAULT_SWARM_ADDR_POOL, DEFAULT_SWARM_SUBNET_SIZE } from '../orchestrator/networks';
import type { Store } from '../store/store';
import { CLUSTER_OBJECT_ID, type ClusterObject } from '../store/tables';
import { clusterSecrets } from '../swarm/cluster';
import { newUnlockKey } from '../swarm/unlock-key';
import { ClusterNotFoundError, InvalidSpecError } from './errors';

/**
 * `POST /swarm/update` body: Docker's ClusterSpec. Only what flotilla acts on is read; an
 * unknown field is kept as sent (the Docker CLI sends the whole spec back).
 */
const clusterSpecBody = z
  .object({
    Orchestration: z.object({ TaskHistoryRetentionLimit: z.number().int().optional() }).passthrough().nullish(),
    CAConfig: z
      .object({
        NodeCertExpiry: z.number().int().optional(),
        // Root rotation (`swarm ca --rotate`): ca/rotation.ts decides what they ask for.
        ForceRotate: z.number().int().nonnegative().optional(),
        SigningCACert: z.string().optional(),
        SigningCAKey: z.string().optional(),
        ExternalCAs: z.array(z.unknown()).nullish(),
      })
      .passthrough()
      .nullish(),
    EncryptionConfig: z.object({ AutoLockManagers: z.boolean().optional() }).passthrough().nullish(),
  })
  .passthrough();

/** Pure: the cluster object after `swarm update` with `body` (a Docker ClusterSpec). */
export function updatedClusterSpec(cluster: ClusterObject, body: unknown): ClusterObject['Spec'] {
  const parsed = clusterSpecBody.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidSpecError(`invalid swarm spec: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const limit = parsed.data.Orchestration?.TaskHistoryRetentionLimit;
  const autoLock = parsed.data.EncryptionConfig?.AutoLockManagers;
  const expiry = parsed.data.CAConfig?.NodeCertExpiry;
  if (expiry !== undefined && expiry / 1e6 < MIN_NODE_CERT_EXPIRY_MS)
    throw new InvalidSpecError('minimum certificate expiry time is 1h0m0s');
  return {
    ...cluster.Spec,
    Orchestration: {
      ...cluster.Spec.Orchestration,
      ...(limit !== undefined ? { TaskHistoryRetentionLimit: limit } : {}),
    },
    ...caConfigSpec(cluster, parsed.data.CAConfig ?? undefined),
    ...(autoLock !== undefined ? { EncryptionConfig: { AutoLockManagers: autoLock } } : {}),
  };
}

/**
 * The CAConfig kept in the spec: the expiry, ForceRotate and the desired root certificate as
 * given; never the signing key (it lives with the rotation, out of every API answer).
 */
function caConfigSpec(
  cluster: ClusterObject,
  ca: { NodeCertExpiry?: number; ForceRotate?: number; SigningCACert?: string } | undefined,
): Partial<ClusterObject['Spec']> {
  if (!ca) return {};
  const { NodeCertExpiry, ForceRotate, SigningCACert } = ca;
  const next = {
    ...cluster.Spec.CAConfig,
    ...(NodeCertExpiry !== undefined ? { NodeCertExpiry } : {}),
    ...(ForceRotate !== undefined ? { ForceRotate } : {}),
    ...(SigningCACert !== undefined ? { SigningCACert } : {}),
  };
  delete next.SigningCAKey;
  if (!next.SigningCACert) delete next.SigningCACert;
  return Object.keys(next).length ? { CAConfig: next } : {};
}

/**
 * Pure but for the new key's randomness: the cluster's unlock key after an update to `spec`. Like
 * swarmkit: autolock on makes one if there is none (or `rotate`), autolock off drops it. The key
 * lives in the Raft store (encrypted at rest with every manager's data key). A manager that was
 * down during a rotation keeps its keys wrapped with the old key, so the old key unlocks it until
 * it catches up and re-wraps them (AutolockFollower): no copy of the old key is needed for that.
 */
export function unlockKeyData(
  data: Record<string, unknown> | undefined,
  spec: ClusterObject['Spec'],
  rotate: boolean,
): Record<string, unknown> {
  const { unlockKey, ...rest } = data ?? {};
  if (!spec.EncryptionConfig?.AutoLockManagers) return rest;
  if (typeof unlockKey === 'string' && !rotate) return { ...rest, unlockKey };
  return { ...rest, unlockKey: newUnlockKey() };
}

/** `swarm init --default-addr-pool CIDR... --default-addr-pool-mask-length N`, checked before anything is made. */
export function checkAddrPool(
  pools: string[] | undefined,
  subnetSize: number | undefined,
): { DefaultAddrPool?: string[]; SubnetSize?: number } {
  // docker's CLI always sends SubnetSize (24 unless given) with an empty pool: like dockerd, the
  // mask length then applies to the default pool.
  if (!pools?.length) {
    if (!subnetSize || subnetSize === DEFAULT_SWARM_SUBNET_SIZE) return {};
    return checkAddrPool(DEFAULT_SWARM_ADDR_POOL, subnetSize);
  }
  const size = subnetSize || DEFAULT_SWARM_SUBNET_SIZE;
  const normalized = pools.map((p) => {
    let cidr;
    try {
      cidr = parseCidr(p);
    } catch {
      throw new InvalidSpecError(`invalid base pool "${p}": use an IPv4 CIDR such as 10.20.0.0/16`);
    }
    if (size < cidr.prefix || size > 30)
      throw new InvalidSpecError(
        `invalid subnet size ${size} for pool ${p}: use a mask length between ${cidr.prefix} and 30`,
      );
    return formatCidr(cidr);
  });
  return { DefaultAddrPool: normalized, SubnetSize: size };
}

export type JoinRole = 'worker' | 'manager';

/** Docker's Swarm.TLSInfo and RootRotationInProgress of a CA state. */
export function caInfo(s: CaState): Pick<SwarmObject, 'TLSInfo' | 'RootRotationInProgress'> {
  return { TLSInfo: swarmTlsInfo(s), RootRotationInProgress: !!s.rotation };
}

/** Docker's Swarm object (`GET /swarm`, `swarm inspect`). */
export interface SwarmObject {
  ID: string;
  Version: ClusterObject['Version'];
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ClusterObject['Spec'];
  DefaultAddrPool: string[];
  SubnetSize: number;
  JoinTokens: { Worker: string; Manager: string };
  TLSInfo: { TrustRoot: string; CertIssuerSubject: string; CertIssuerPublicKey: string };
  RootRotationInProgress: boolean;
}

export class ClusterApi {
  constructor(
    private readonly store: Store,
    private readonly clusterId: string,
    /** Resolves once this manager's keys on disk follow the autolock setting just applied. */
    private readonly keysSettled: () => Promise<void> = async () => undefined,
  ) {}

  private cluster(): ClusterObject {
    const c = this.store.state.get('clusters', CLUSTER_OBJECT_ID);
    if (!c) throw new ClusterNotFoundError();
    return c;
  }

  inspect(): SwarmObject {
    const c = this.cluster();
    return {
      ID: this.clusterId,
      Version: c.Version,
      CreatedAt: c.CreatedAt,
      UpdatedAt: c.UpdatedAt,
      Spec: { ...c.Spec, EncryptionConfig: { AutoLockManagers: !!c.Spec.EncryptionConfig?.AutoLockManagers } },
      DefaultAddrPool: c.DefaultAddrPool ?? DEFAULT_SWARM_ADDR_POOL,
      SubnetSize: c.SubnetSize ?? DEFAULT_SWARM_SUBNET_SIZE,
      JoinTokens: { Worker: this.joinToken('worker'), Manager: this.joinToken('manager') },
      ...caInfo(caStateOf(c.Data)),
    };
  }

  /**
   * `swarm update`: `version` is the Version.Index the caller read; `body` a Docker ClusterSpec.
   * A new CAConfig.ForceRotate or signing certificate starts a root rotation: the new root is
   * made (and cross-signed) before the transaction, which then records it with the new spec.
   * `rotateManagerUnlockKey`: a new unlock key (with autolock on).
   */
  async update(version: number, body: unknown, opts: { rotateManagerUnlockKey?: boolean } = {}): Promise<void> {
    const before = caStateOf(this.cluster().Data);
    const caBody = (body as { CAConfig?: Parameters<typeof requestedRotation>[1] } | null)?.CAConfig ?? undefined;
    updatedClusterSpec(this.cluster(), body); // bad input is refused before any key is made
    const request = requestedRotation(before, caBody);
    const after = await applyRotationRequest(before, request, caBody?.ForceRotate);
    await this.store.update((tx) => {
      const c = tx.get('clusters', CLUSTER_OBJECT_ID);
      if (!c) throw new ClusterNotFoundError();
      if (request.kind !== 'none' && JSON.stringify(caStateOf(c.Data)) !== JSON.stringify(before))
        throw new InvalidCaConfigError(
          'the swarm CA changed while this update was prepared: inspect the swarm again and retry',
        );
      // The store stamps UpdatedAt with the transaction's time.
      const Spec = updatedClusterSpec(c, body);
      const data = request.kind === 'none' ? c.Data : { ...c.Data, ...caStateData(after) };
      const Data = unlockKeyData(data, Spec, opts.rotateManagerUnlockKey ?? false);
      tx.update('clusters', { ...c, Spec, Data, ...(request.kind === 'none' ? {} : caInfo(after)) }, version);
    });
    await this.keysSettled();
  }

  /** `GET /swarm/unlockkey`: the key to unlock a manager after a restart ('' while autolock is off). */
  unlockKey(): string {
    const c = this.cluster();
    const key = c.Data?.unlockKey;
    return c.Spec.EncryptionConfig?.AutoLockManagers && typeof key === 'string' ? key : '';
  }

  /** `SWMTKN-1-<CA digest>-<secret>`: the role is the secret's. */
  joinToken(role: JoinRole): string {
    const s = clusterSecrets(this.store.state.get('clusters', CLUSTER_OBJECT_ID));
    const der = Buffer.from(s.caCertPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return formatJoinToken(der, role === 'worker' ? s.workerSecret : s.managerSecret);
  }

  /** `swarm join-token --rotate`: the old token of that role stops working. */
  async rotateJoinToken(role: JoinRole): Promise<void> {
    await this.store.update((tx) => {
      const c = tx.get('clusters', CLUSTER_OBJECT_ID);
      if (!c) throw new ClusterNotFoundError();
      tx.update('clusters', {
        ...c,
        Data: { ...c.Data, [role === 'worker' ? 'workerSecret' : 'managerSecret']: newSecret() },
      });
    });
  }
}
