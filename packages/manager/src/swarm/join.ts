import * as grpc from '@grpc/grpc-js';
import { createNodeKeyAndCsr } from '../ca/authority';
import { InvalidJoinTokenError } from '../ca/errors';
import { caDigest, parseJoinToken } from '../ca/tokens';
import { swarmServices } from '../dispatcher/proto';
import type { Node } from '../store/types';
import { channelCredentials, channelOptions, type NodeTls } from './credentials';

export interface JoinResult {
  nodeId: string;
  role: 'manager' | 'worker';
  clusterId: string;
  tls: NodeTls;
}

type CaMethod = 'GetRootCACertificate' | 'IssueNodeCertificate' | 'RenewNodeCertificate';
type CaClient = grpc.Client &
  Record<
    CaMethod,
    (req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Record<string, string>) => void) => void
  >;

function call(client: CaClient, method: CaMethod, req: object, timeoutMs: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) =>
    client[method](req, { deadline: Date.now() + timeoutMs }, (e, r) => (e ? reject(e) : resolve(r))),
  );
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/**
 * `swarm join`: fetch the manager's root CA without trusting it, check it against the digest the
 * token carries (so a man in the middle cannot pose as the swarm), then ask the CA, over TLS that
 * now verifies the manager, for a certificate for a fresh key that never leaves this node.
 */
export async function requestNodeCertificate(o: {
  managerAddr: string;
  token: string;
  hostname: string;
  advertiseAddr: string;
  description: Node['Description'];
  timeoutMs?: number;
}): Promise<JoinResult> {
  const token = parseJoinToken(o.token);
  const { CA } = swarmServices();
  const timeout = o.timeoutMs ?? 10_000;
  const insecure = new CA(
    o.managerAddr,
    grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false }),
    channelOptions,
  ) as unknown as CaClient;
  let caCertPem: string;
  try {
    caCertPem = (await call(insecure, 'GetRootCACertificate', {}, timeout)).certPem!;
  } catch (e) {
    throw new Error(
      `cannot reach the manager at ${o.managerAddr}: ${(e as grpc.ServiceError).details || (e as Error).message}`,
    );
  } finally {
    insecure.close();
  }
  if (caDigest(pemToDer(caCertPem)) !== token.caDigest) {
    throw new InvalidJoinTokenError(
      `the manager at ${o.managerAddr} is not the swarm this token belongs to (CA digest mismatch)`,
    );
  }
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const verified = new CA(
    o.managerAddr,
    grpc.credentials.createSsl(Buffer.from(caCertPem)),
    channelOptions,
  ) as unknown as CaClient;
  try {
    const r = await call(
      verified,
      'IssueNodeCertificate',
      {
        token: o.token,
        csrPem,
        hostname: o.hostname,
        advertiseAddr: o.advertiseAddr,
        descriptionJson: Buffer.from(JSON.stringify(o.description)),
      },
      timeout,
    );
    return {
      nodeId: r.nodeId!,
      role: r.role === 'swarm-manager' ? 'manager' : 'worker',
      clusterId: r.clusterId!,
      tls: { caCertPem, keyPem, certPem: r.certPem! },
    };
  } catch (e) {
    const err = e as grpc.ServiceError;
    if (err.code === grpc.status.INVALID_ARGUMENT)
      throw new InvalidJoinTokenError(err.details.replace(/^invalid join token: /, ''));
    throw new Error(`the manager refused to join this node: ${err.details || err.message}`);
  } finally {
    verified.close();
  }
}

/**
 * A member's certificate renewal (after a promotion or demotion: the CA takes the role from the
 * store). A fresh key; the first manager in `managerAddrs` that answers issues the certificate.
 */
export async function renewNodeCertificate(o: {
  managerAddrs: string[];
  tls: NodeTls;
  timeoutMs?: number;
}): Promise<JoinResult> {
  const { CA } = swarmServices();
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  let last: Error = new Error('no manager address to ask');
  for (const addr of o.managerAddrs) {
    const client = new CA(addr, channelCredentials(o.tls), channelOptions) as unknown as CaClient;
    try {
      const r = await call(client, 'RenewNodeCertificate', { csrPem }, o.timeoutMs ?? 10_000);
      return {
        nodeId: r.nodeId!,
        role: r.role === 'swarm-manager' ? 'manager' : 'worker',
        clusterId: r.clusterId!,
        tls: { caCertPem: r.caCertPem || o.tls.caCertPem, keyPem, certPem: r.certPem! },
      };
    } catch (e) {
      last = new Error(
        `cannot renew the node certificate at ${addr}: ${(e as grpc.ServiceError).details || (e as Error).message}`,
      );
    } finally {
      client.close();
    }
  }
  throw last;
}
