import type { ClusterObject } from '../store/tables';

export { CLUSTER_OBJECT_ID } from '../store/tables';

/** What the cluster object keeps besides Docker's Spec: the CA and the join secrets, replicated. */
export interface ClusterSecrets {
  caCertPem: string;
  caKeyPem: string;
  workerSecret: string;
  managerSecret: string;
}

export function clusterSecrets(c: ClusterObject | undefined): ClusterSecrets {
  const d = c?.Data as Partial<ClusterSecrets> | undefined;
  if (!d?.caCertPem || !d.caKeyPem || !d.workerSecret || !d.managerSecret)
    throw new Error('cluster object has no CA yet');
  return d as ClusterSecrets;
}
