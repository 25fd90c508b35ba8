import * as grpc from '@grpc/grpc-js';
import { RootCA, type NodeRoleOU } from '../ca/authority';
import { DEFAULT_NODE_CERT_EXPIRY_MS } from '../ca/renewal';
import { InvalidJoinTokenError } from '../ca/errors';
import { caDigest, parseJoinToken, secretMatches } from '../ca/tokens';
import { caStateOf, signer, trustBundle, type CaState } from '../ca/rotation';
import { pemToDer } from '../ca/tls-info';
import { nodeTlsStatus } from './node-tls-status';
import { callerIdentity } from '../dispatcher/identity';
import { swarmServices } from '../dispatcher/proto';
import { newId, type Store } from '../store/store';
import type { Node } from '../store/types';
import { CLUSTER_OBJECT_ID, clusterSecrets } from './cluster';
import { nodeDescriptionSchema } from '../dispatcher/node-description';

const fail = (code: grpc.status, message: string) => Object.assign(new Error(message), { code });

/**
 * The CA's gRPC side: a joining node proves itself with the join token (no certificate yet) and
 * gets a certificate whose role the token decided; a member renews with its current certificate.
 */
export class CaService {
  /**
   * `barrier` brings this manager's store up to date before a renewal reads the node's role (a
   * Raft read): a node that was just promoted or demoted may ask a follower that has not applied
   * the change yet.
   */
  constructor(
    private readonly store: Store,
    private readonly clusterId: string,
    private readonly o: { barrier?: () => Promise<void> } = {},
  ) {}

  register(server: grpc.Server): void {
    const wrap =
      <Req>(fn: (call: grpc.ServerUnaryCall<Req, unknown>) => Promise<unknown>) =>
      (call: grpc.ServerUnaryCall<Req, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        fn(call).then(
          (r) => cb(null, r),
          (e: Error & { code?: number }) => cb(fail(e.code ?? grpc.status.INTERNAL, e.message)),
        );
      };
    server.addService(swarmServices().CA.service, {
      // The current root (the old one while rotating): its digest is the join tokens'.
      GetRootCACertificate: wrap(async () => ({
        certPem: clusterSecrets(this.store.state.get('clusters', CLUSTER_OBJECT_ID)).caCertPem,
      })),
      NodeTLSStatus: wrap((call: grpc.ServerUnaryCall<{ trustRootPem: string }, unknown>) =>
        nodeTlsStatus(this.store, this.clusterId, call),
      ),
      IssueNodeCertificate: wrap(
        (
          call: grpc.ServerUnaryCall<
            { token: string; csrPem: string; hostname: string; advertiseAddr: string; descriptionJson: Buffer },
            unknown
          >,
        ) => this.issue(call.request),
      ),
      RenewNodeCertificate: wrap((call: grpc.ServerUnaryCall<{ csrPem: string }, unknown>) => this.renew(call)),
    });
  }

  /** `swarm update --cert-expiry`: the lifetime of the certificates issued from now on. */
  private validityMs(): number {
    const ns = this.store.state.get('clusters', CLUSTER_OBJECT_ID)?.Spec.CAConfig?.NodeCertExpiry;
    return ns ? ns / 1e6 : DEFAULT_NODE_CERT_EXPIRY_MS;
  }

  /**
   * Who signs now (the new root while rotating, its chain with the cross-signed certificate),
   * what nodes must trust, and the join secrets.
   */
  private async ca(): Promise<{
    ca: RootCA;
    state: CaState;
    intermediatePem?: string;
    secrets: ReturnType<typeof clusterSecrets>;
  }> {
    const cluster = this.store.state.get('clusters', CLUSTER_OBJECT_ID);
    const secrets = clusterSecrets(cluster);
    const state = caStateOf(cluster?.Data);
    const sign = signer(state);
    return { ca: await RootCA.load(sign.certPem, sign.keyPem), state, intermediatePem: sign.intermediatePem, secrets };
  }

  private async issue(req: {
    token: string;
    csrPem: string;
    hostname: string;
    advertiseAddr: string;
    descriptionJson: Buffer;
  }) {
    const { ca, state, intermediatePem, secrets } = await this.ca();
    let role: NodeRoleOU;
    try {
      const t = parseJoinToken(req.token);
      if (t.caDigest !== caDigest(pemToDer(state.caCertPem)))
        throw new InvalidJoinTokenError('it belongs to another swarm (its CA digest does not match this one)');
      if (secretMatches(t.secret, secrets.managerSecret)) role = 'swarm-manager';
      else if (secretMatches(t.secret, secrets.workerSecret)) role = 'swarm-worker';
      else
        throw new InvalidJoinTokenError(
          'the token was rotated or is wrong; get the current one with "flotilla swarm join-token worker" on a manager',
        );
    } catch (e) {
      throw Object.assign(e as Error, { code: grpc.status.INVALID_ARGUMENT });
    }
    let description: Node['Description'];
    try {
      description = nodeDescriptionSchema.parse(
        JSON.parse(Buffer.from(req.descriptionJson ?? []).toString('utf8') || '{}'),
      ) as Node['Description'];
    } catch {
      throw fail(grpc.status.INVALID_ARGUMENT, 'invalid node description');
    }
    const nodeId = newId();
    const at = new Date().toISOString();
    const node: Node = {
      ID: nodeId,
      Version: { Index: 0 },
      CreatedAt: at,
      UpdatedAt: at,
      Spec: { Labels: {}, Role: role === 'swarm-manager' ? 'manager' : 'worker', Availability: 'active' },
      Description: { ...description, Hostname: req.hostname || description.Hostname },
      Status: { State: 'unknown', Addr: req.advertiseAddr.split(':')[0] ?? '' },
      ...(role === 'swarm-manager'
        ? { ManagerStatus: { Reachability: 'unknown' as const, Addr: req.advertiseAddr } }
        : {}),
    };
    const certPem = await ca.issue(
      req.csrPem,
      { nodeId, role, clusterId: this.clusterId },
      { validityMs: this.validityMs(), intermediatePem },
    );
    await this.store.update((tx) => tx.create('nodes', node));
    return { nodeId, certPem, role, clusterId: this.clusterId, caCertPem: trustBundle(state) };
  }

  private async renew(call: grpc.ServerUnaryCall<{ csrPem: string }, unknown>) {
    const id = callerIdentity(call, this.clusterId);
    // Without a leader the renewal still goes ahead on this replica's word: an expiring certificate
    // must not wait for one. A role change it misses is retried by the node.
    await this.o.barrier?.().catch(() => undefined);
    const node = this.store.state.get('nodes', id.nodeId);
    if (!node) throw fail(grpc.status.PERMISSION_DENIED, `node ${id.nodeId} was removed from the swarm`);
    const { ca, state, intermediatePem } = await this.ca();
    // The role comes from the store (a promotion or demotion takes effect at renewal).
    const role: NodeRoleOU = node.Spec.Role === 'manager' ? 'swarm-manager' : 'swarm-worker';
    const certPem = await ca.issue(
      call.request.csrPem,
      { nodeId: id.nodeId, role, clusterId: this.clusterId },
      { validityMs: this.validityMs(), intermediatePem },
    );
    return { nodeId: id.nodeId, certPem, role, clusterId: this.clusterId, caCertPem: trustBundle(state) };
  }
}
