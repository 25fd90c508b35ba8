// The CA's NodeTLSStatus call: a node says which roots it trusts; the CA reads which root issued
// the certificate it presented, records both as the node's Description.TLSInfo (what the leader's
// rotation reconciler and `docker swarm ca --rotate` watch), and answers what to trust and
// whether to renew now.
import * as grpc from '@grpc/grpc-js';
import { caStateOf, needsReissue, trustBundle, type CaState } from '../ca/rotation';
import { issuerInfoOfRoot, issuerSubjectOf, type IssuerInfo } from '../ca/tls-info';
import { callerIdentity } from '../dispatcher/identity';
import type { Store } from '../store/store';
import { CLUSTER_OBJECT_ID } from '../store/tables';

type StatusCall = grpc.ServerUnaryCall<{ trustRootPem: string }, unknown> & {
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null;
};

/** Which of the roots in play issued a certificate with this issuer subject (undefined: none of them). */
export function issuerOf(s: CaState, issuerSubject: string): IssuerInfo | undefined {
  const roots = [s.caCertPem, ...(s.rotation ? [s.rotation.caCertPem] : [])];
  return roots.map(issuerInfoOfRoot).find((r) => r.CertIssuerSubject === issuerSubject);
}

export async function nodeTlsStatus(
  store: Store,
  clusterId: string,
  call: StatusCall,
): Promise<{ trustRootPem: string; renew: boolean }> {
  const id = callerIdentity(call, clusterId);
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  const node = store.state.get('nodes', id.nodeId);
  if (!node)
    throw Object.assign(new Error(`node ${id.nodeId} was removed from the swarm`), {
      code: grpc.status.PERMISSION_DENIED,
    });
  const s = caStateOf(store.state.get('clusters', CLUSTER_OBJECT_ID)?.Data);
  const issuer = raw ? issuerOf(s, issuerSubjectOf(new Uint8Array(raw))) : undefined;
  const trustRoot = call.request.trustRootPem ?? '';
  const info = issuer ? { TrustRoot: trustRoot, ...issuer } : undefined;
  const known = node.Description.TLSInfo;
  if (info && JSON.stringify(known) !== JSON.stringify(info)) {
    await store.update((tx) => {
      const n = tx.get('nodes', id.nodeId);
      if (n) tx.update('nodes', { ...n, Description: { ...n.Description, TLSInfo: info } });
    });
  }
  return { trustRootPem: trustBundle(s), renew: needsReissue(s, issuer) };
}
