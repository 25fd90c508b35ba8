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
    return grpc.ServerCredentials.createSsl(
      Buffer.from(tls.caCertPem),
      [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }],
      true,
    );
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

export const channelOptions = {
  'grpc.ssl_target_name_override': NODE_TLS_NAME,
  'grpc.default_authority': NODE_TLS_NAME,
};

/**
 * Client credentials for channels whose options cannot carry the TLS name override (the Raft
 * transport): the chain is verified against the cluster CA as always, and instead of a host name
 * the server's certificate must be a manager's of this cluster (O = cluster ID, OU = swarm-manager).
 */
export function managerChannelCredentials(tls: NodeTls, clusterId: string): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(tls.caCertPem), Buffer.from(tls.keyPem), Buffer.from(tls.certPem), {
    checkServerIdentity: managerIdentityCheck(clusterId),
  });
}

function managerIdentityCheck(clusterId: string) {
  return (_host: string, cert: { subject: unknown }): Error | undefined => {
    const s = cert.subject as Record<string, string | string[] | undefined>;
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    if (one(s.O) !== clusterId || one(s.OU) !== 'swarm-manager')
      return new Error(`peer certificate is not a manager's of cluster ${clusterId}`);
    return undefined;
  };
}

type CaUpdate = { caCertificate: Buffer };
type IdentityUpdate = { certificate: Buffer; privateKey: Buffer };

/**
 * A node's certificate as grpc-js's certificate provider, replaceable in place: every server and
 * channel made from it presents the newest certificate on its next TLS handshake, so a renewal
 * (or a promotion) reaches Raft, the agent, peers and the node's listener without a restart.
 */
export class NodeCertificates {
  private ca: CaUpdate;
  private id: IdentityUpdate;
  private tlsNow: NodeTls;
  private readonly caListeners = new Set<(u: CaUpdate) => void>();
  private readonly idListeners = new Set<(u: IdentityUpdate) => void>();

  constructor(tls: NodeTls) {
    this.tlsNow = tls;
    this.ca = { caCertificate: Buffer.from(tls.caCertPem) };
    this.id = { certificate: Buffer.from(tls.certPem), privateKey: Buffer.from(tls.keyPem) };
  }

  get tls(): NodeTls {
    return this.tlsNow;
  }

  update(tls: NodeTls): void {
    this.tlsNow = tls;
    this.ca = { caCertificate: Buffer.from(tls.caCertPem) };
    this.id = { certificate: Buffer.from(tls.certPem), privateKey: Buffer.from(tls.keyPem) };
    for (const l of this.caListeners) l(this.ca);
    for (const l of this.idListeners) l(this.id);
  }

  /** Client credentials for node-to-node channels (used with `channelOptions`). */
  channel(): grpc.ChannelCredentials {
    return grpc.experimental.createCertificateProviderChannelCredentials(this, this);
  }

  /** Like `managerChannelCredentials`: the server must be a manager of `clusterId` (Raft). */
  managerChannel(clusterId: string): grpc.ChannelCredentials {
    return grpc.experimental.createCertificateProviderChannelCredentials(this, this, {
      checkServerIdentity: managerIdentityCheck(clusterId),
    });
  }

  /** Server credentials that ask for a client certificate but let a joining node in without one. */
  server(): grpc.ServerCredentials {
    return grpc.experimental.createCertificateProviderServerCredentials(this, this, false);
  }

  // grpc-js registers its watcher only after adding these listeners: answer on the next turn.
  addCaCertificateListener(l: (u: CaUpdate) => void): void {
    this.caListeners.add(l);
    setImmediate(() => l(this.ca));
  }

  removeCaCertificateListener(l: (u: CaUpdate) => void): void {
    this.caListeners.delete(l);
  }

  addIdentityCertificateListener(l: (u: IdentityUpdate) => void): void {
    this.idListeners.add(l);
    setImmediate(() => l(this.id));
  }

  removeIdentityCertificateListener(l: (u: IdentityUpdate) => void): void {
    this.idListeners.delete(l);
  }
}
