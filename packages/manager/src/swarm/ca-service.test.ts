// The CA's renewal over real gRPC with mutual TLS: the role in the new certificate is the store's,
// read after the barrier (a follower that has not applied a demotion yet would otherwise hand the
// demoted node a manager's certificate again, and the node would stay a manager).
import * as grpc from '@grpc/grpc-js';
import { createNodeKeyAndCsr, RootCA } from '../ca/authority';
import { LocalProposer, Store } from '../store/store';
import { CLUSTER_OBJECT_ID, type ClusterObject } from '../store/tables';
import { makeNode } from '../testing/fixtures';
import { CaService } from './ca-service';
import { serverCredentials, type NodeTls } from './credentials';
import { renewNodeCertificate } from './join';
import { TlsStatusClient } from './tls-status-client';
import { applyRotationRequest } from '../ca/rotate';
import { caStateData, caStateOf, trustBundle } from '../ca/rotation';
import { issuerInfoOfRoot } from '../ca/tls-info';

const AT = '2026-01-01T00:00:00Z';
const CLUSTER = 'cluster1';

async function tlsFor(ca: RootCA, nodeId: string, role: 'swarm-manager' | 'swarm-worker'): Promise<NodeTls> {
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  return { caCertPem: ca.certPem, keyPem, certPem: await ca.issue(csrPem, { nodeId, role, clusterId: CLUSTER }) };
}

/** A CA service on loopback over a store that has node n3 as a manager; `barrier` runs before each renewal reads it. */
async function serve(barrier: () => Promise<void>) {
  const ca = await RootCA.create();
  const p = new LocalProposer();
  const store = new Store(p);
  p.store = store;
  const cluster: ClusterObject = {
    ID: CLUSTER_OBJECT_ID,
    Version: { Index: 0 },
    CreatedAt: AT,
    UpdatedAt: AT,
    Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5 }, Dispatcher: { HeartbeatPeriod: 1e9 } },
    Data: { clusterId: CLUSTER, caCertPem: ca.certPem, caKeyPem: ca.keyPem, workerSecret: 'w', managerSecret: 'm' },
  };
  await store.update((tx) => {
    tx.create('clusters', cluster);
    tx.create('nodes', makeNode('n3', { role: 'manager' }));
  });
  const tls = await tlsFor(ca, 'm1', 'swarm-manager');
  const server = new grpc.Server();
  new CaService(store, CLUSTER, { barrier }).register(server);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(tls), (e, n) => (e ? rej(e) : res(n))),
  );
  return { ca, store, server, addr: `127.0.0.1:${port}` };
}

describe('CaService renewal', () => {
  let server: grpc.Server | null = null;
  afterEach(() => server?.forceShutdown());

  it('issues the role the store has once the barrier brought it up to date', async () => {
    let applyPending: () => Promise<void> = async () => undefined;
    const barrier = jest.fn(() => applyPending());
    const s = await serve(barrier);
    server = s.server;
    // The demotion is committed but this replica has not applied it yet: the barrier applies it.
    applyPending = () =>
      s.store
        .update((tx) =>
          tx.update('nodes', { ...tx.get('nodes', 'n3')!, Spec: { ...tx.get('nodes', 'n3')!.Spec, Role: 'worker' } }),
        )
        .then(() => undefined);
    const renewed = await renewNodeCertificate({
      managerAddrs: [s.addr],
      tls: await tlsFor(s.ca, 'n3', 'swarm-manager'),
    });
    expect(barrier).toHaveBeenCalledTimes(1);
    expect(renewed.role).toBe('worker');
  });

  it("renews on this replica's word when the barrier fails (no leader)", async () => {
    const s = await serve(() => Promise.reject(new Error('no leader')));
    server = s.server;
    const renewed = await renewNodeCertificate({
      managerAddrs: [s.addr],
      tls: await tlsFor(s.ca, 'n3', 'swarm-manager'),
    });
    expect(renewed.role).toBe('manager');
  });
});

describe('CaService during a root rotation', () => {
  let server: grpc.Server | null = null;
  afterEach(() => server?.forceShutdown());

  it('a node on the old root is told to renew, gets a cross-signed chain and both roots, and reports the move', async () => {
    const s = await serve(async () => undefined);
    server = s.server;
    const old = caStateOf(s.store.state.get('clusters', CLUSTER_OBJECT_ID)!.Data);
    const rotating = await applyRotationRequest(old, { kind: 'generate' }, 1);
    await s.store.update((tx) => {
      const c = tx.get('clusters', CLUSTER_OBJECT_ID)!;
      tx.update('clusters', { ...c, Data: { ...c.Data, ...caStateData(rotating) } });
    });
    const status = new TlsStatusClient();
    try {
      const tls = await tlsFor(s.ca, 'n3', 'swarm-manager');
      const first = await status.ask([s.addr], tls);
      expect(first).toEqual({ trustRootPem: trustBundle(rotating), renew: true });
      // what the node reported: the old root issued its certificate
      expect(s.store.state.get('nodes', 'n3')!.Description.TLSInfo).toEqual({
        TrustRoot: tls.caCertPem,
        ...issuerInfoOfRoot(old.caCertPem),
      });
      const renewed = await renewNodeCertificate({ managerAddrs: [s.addr], tls });
      expect(renewed.tls.caCertPem).toBe(trustBundle(rotating));
      expect(renewed.tls.certPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
      const second = await status.ask([s.addr], renewed.tls);
      expect(second.renew).toBe(false);
      expect(s.store.state.get('nodes', 'n3')!.Description.TLSInfo).toEqual({
        TrustRoot: trustBundle(rotating),
        ...issuerInfoOfRoot(rotating.rotation!.caCertPem),
      });
    } finally {
      status.close();
    }
  });
});
