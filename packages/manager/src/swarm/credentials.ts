import * as grpc from '@grpc/grpc-js';

export interface NodeTls {
  caCertPem: string;
  keyPem: string;
  certPem: string;
}

/** TLS name every node certificate carries (identity is CN/OU/O, not the host name). */
export const NODE_TLS_NAME = 'swarm-node';

/**
 * Mutual TLS server. With `requireClientCert` false a client certificate is still asked for and
 * verified when given (each call then checks it), but a joining node without one can connect.
 */
export function serverCredentials(tls: NodeTls, requireClientCert = true): grpc.ServerCredentials {
  if (requireClientCert) {
    return grpc.ServerCredentials.createSsl(Buffer.from(tls.caCertPem), [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }], true);
  }
  const provider = staticProvider(tls);
  return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
}

/** grpc-js's certificate provider for fixed PEMs (createSsl cannot request an optional client cert). */
function staticProvider(tls: NodeTls) {
  const ca = { caCertificate: Buffer.from(tls.caCertPem) };
  const identity = { certificate: Buffer.from(tls.certPem), privateKey: Buffer.from(tls.keyPem) };
  // grpc-js registers its watcher only after adding these listeners: answer on the next turn.
  return {
    addCaCertificateListener: (l: (u: typeof ca) => void) => setImmediate(() => l(ca)),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (l: (u: typeof identity) => void) => setImmediate(() => l(identity)),
    removeIdentityCertificateListener: () => undefined,
  };
}

export function channelCredentials(tls: NodeTls): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(tls.caCertPem), Buffer.from(tls.keyPem), Buffer.from(tls.certPem));
}

export const channelOptions = { 'grpc.ssl_target_name_override': NODE_TLS_NAME, 'grpc.default_authority': NODE_TLS_NAME };

/**
 * Client credentials for channels whose options cannot carry the TLS name override (the Raft
 * transport): the chain is verified against the cluster CA as always, and instead of a host name
 * the server's certificate must be a manager's of this cluster (O = cluster ID, OU = swarm-manager).
 */
export function managerChannelCredentials(tls: NodeTls, clusterId: string): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(tls.caCertPem), Buffer.from(tls.keyPem), Buffer.from(tls.certPem), {
    checkServerIdentity: (_host, cert) => {
      const s = cert.subject as unknown as Record<string, string | string[] | undefined>;
      const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
      if (one(s.O) !== clusterId || one(s.OU) !== 'swarm-manager') return new Error(`peer certificate is not a manager's of cluster ${clusterId}`);
      return undefined;
    },
  });
}
