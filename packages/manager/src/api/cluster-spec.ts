import { formatCidr, parseCidr } from '@flotilla/engine-core';
import { z } from 'zod';
import type { ClusterObject } from '../store/tables';
import { MIN_NODE_CERT_EXPIRY_MS } from '../ca/renewal';
import { InvalidSpecError } from './errors';

/**
 * `POST /swarm/update` body: Docker's ClusterSpec. Only what flotilla acts on is read; an
 * unknown field is kept as sent (the Docker CLI sends the whole spec back).
 */
const clusterSpecBody = z
  .object({
    Orchestration: z.object({ TaskHistoryRetentionLimit: z.number().int().optional() }).passthrough().nullish(),
    CAConfig: z.object({ NodeCertExpiry: z.number().int().optional() }).passthrough().nullish(),
  })
  .passthrough();

/** Pure: the cluster object after `swarm update` with `body` (a Docker ClusterSpec). */
export function updatedClusterSpec(cluster: ClusterObject, body: unknown): ClusterObject['Spec'] {
  const parsed = clusterSpecBody.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidSpecError(`invalid swarm spec: ${issue.path.join('.')}: ${issue.message}`);
  }
  const limit = parsed.data.Orchestration?.TaskHistoryRetentionLimit;
  const expiry = parsed.data.CAConfig?.NodeCertExpiry;
  if (expiry !== undefined && expiry / 1e6 < MIN_NODE_CERT_EXPIRY_MS)
    throw new InvalidSpecError('minimum certificate expiry time is 1h0m0s');
  return {
    ...cluster.Spec,
    Orchestration: {
      ...cluster.Spec.Orchestration,
      ...(limit !== undefined ? { TaskHistoryRetentionLimit: limit } : {}),
    },
    ...(expiry !== undefined ? { CAConfig: { ...cluster.Spec.CAConfig, NodeCertExpiry: expiry } } : {}),
  };
}

/** `swarm init --default-addr-pool CIDR... --default-addr-pool-mask-length N`, checked before anything is made. */
export function checkAddrPool(
  pools: string[] | undefined,
  subnetSize: number | undefined,
): { DefaultAddrPool?: string[]; SubnetSize?: number } {
  if (!pools?.length) {
    if (subnetSize !== undefined && subnetSize !== 0)
      throw new InvalidSpecError('--default-addr-pool-mask-length needs --default-addr-pool');
    return {};
  }
  const size = subnetSize || 24;
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
