import type * as grpc from '@grpc/grpc-js';
import { createNodeKeyAndCsr, RootCA, type NodeTls } from '@flotilla/manager';
import { ClusterListenError, NodeServer } from './node-server';

async function nodeTls(): Promise<NodeTls> {
  const ca = await RootCA.create();
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  return { caCertPem: ca.certPem, keyPem, certPem: await ca.issue(csrPem, { nodeId: 'n1', role: 'swarm-worker', clusterId: 'c1' }) };
}

describe('NodeServer', () => {
  const servers: NodeServer[] = [];
  afterAll(() => servers.forEach((s) => s.stop()));

  test('services registered before or after the start are on the server, and again after a restart', async () => {
    const tls = await nodeTls();
    const ns = new NodeServer();
    servers.push(ns);
    const seen: [string, grpc.Server][] = [];
    ns.register((s) => seen.push(['early', s]));
    expect(seen).toHaveLength(0);
    const server = await ns.start('127.0.0.1:0', tls);
    expect(ns.port).toBeGreaterThan(0);
    expect(seen).toEqual([['early', server]]);
    ns.register((s) => seen.push(['late', s]));
    expect(seen).toEqual([['early', server], ['late', server]]);
    expect(await ns.start('127.0.0.1:0', tls)).toBe(server);

    ns.stop();
    expect(ns.port).toBe(0);
    expect(ns.running).toBeNull();
    const again = await ns.start('127.0.0.1:0', tls);
    expect(seen.slice(2).map(([n, s]) => [n, s === again])).toEqual([['early', true], ['late', true]]);
  });

  test('a port in use is a clear error', async () => {
    const tls = await nodeTls();
    const a = new NodeServer();
    servers.push(a);
    await a.start('127.0.0.1:0', tls);
    const b = new NodeServer();
    const err = await b.start(`127.0.0.1:${a.port}`, tls).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterListenError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${a.port} for cluster traffic: .*address already in use.*Free the port or pick another with --listen-addr$`));
    expect(b.running).toBeNull();
  });
});
