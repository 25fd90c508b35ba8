import type * as grpc from '@grpc/grpc-js';
import { identityOf, type NodeIdentity } from '../ca/authority';
import { PermissionDeniedError } from './errors';

type AnyCall = { getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null };

/** The caller's identity from its TLS client certificate (CN node, OU role, O cluster). */
export function callerIdentity(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | AnyCall,
  clusterId: string,
): NodeIdentity {
  const raw = (call as AnyCall).getAuthContext()?.sslPeerCertificate?.raw;
  if (!raw || raw.length === 0)
    throw new PermissionDeniedError('this call needs a node certificate: join the swarm first ("flotilla swarm join")');
  const id = identityOf(new Uint8Array(raw));
  if (id.clusterId !== clusterId)
    throw new PermissionDeniedError(`certificate is for cluster ${id.clusterId}, not this one (${clusterId})`);
  return id;
}
