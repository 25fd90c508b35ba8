import * as grpc from '@grpc/grpc-js';
import { connect } from 'node:tls';
import {
  callerIdentity,
  channelCredentials,
  channelOptions,
  createNodeKeyAndCsr,
  RootCA,
  type NodeTls,
} from '@flotilla/manager';
import { ClusterListenError } from './errors';
import { NodeServer } from './node-server';

async function nodeTls(
  role: 'swarm-worker' | 'swarm-manager' = 'swarm-worker',
  ca?: RootCA,
  nodeId = 'n1',
): Promise<NodeTls & { ca: RootCA }> {
  const root = ca ?? (await RootCA.create());
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  return {
    ca: root,
    caCertPem: root.certPem,
    keyPem,
    certPem: await root.issue(csrPem, { nodeId, role, clusterId: 'c1' }),
  };
}

/** A one-method service with JSON messages, as another node service would add through the hook. */
const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};
const whoAmI: grpc.ServiceDefinition = {
  WhoAmI: {
    path: '/test.Node/WhoAmI',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};
const WhoAmIClient = grpc.makeGenericClientConstructor(whoAmI, 'Node');

function ask(port: number, creds: grpc.ChannelCredentials): Promise<unknown> {
  const c = new WhoAmIClient(`127.0.0.1:${port}`, creds, channelOptions) as unknown as grpc.Client & {
    WhoAmI: (req: object, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void;
  };
  return new Promise((resolve, reject) => c.WhoAmI({}, (e, r) => (c.close(), e ? reject(e) : resolve(r))));
}

/** The OU of the certificate the server presents to a new connection (once its certificates are loaded). */
async function presentedRole(port: number): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await handshake(port);
    } catch (e) {
      if (i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function handshake(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      const ou = s.getPeerCertificate().subject.OU;
      s.destroy();
      resolve((Array.isArray(ou) ? ou[0] : ou) ?? '');
    });
    s.on('error', reject);
  });
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
    expect(seen).toEqual([
      ['early', server],
      ['late', server],
    ]);
    expect(await ns.start('127.0.0.1:0', tls)).toBe(server);

    ns.stop();
    expect(ns.port).toBe(0);
    expect(ns.running).toBeNull();
    const again = await ns.start('127.0.0.1:0', tls);
    expect(seen.slice(2).map(([n, s]) => [n, s === again])).toEqual([
      ['early', true],
      ['late', true],
    ]);
  });

  test('a node service sees the calling node; a caller without a node certificate is refused', async () => {
    const tls = await nodeTls('swarm-manager');
    const ns = new NodeServer();
    servers.push(ns);
    ns.register((server) =>
      server.addService(whoAmI, {
        WhoAmI: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
          try {
            cb(null, callerIdentity(call, 'c1'));
          } catch (e) {
            cb({ code: grpc.status.PERMISSION_DENIED, details: (e as Error).message });
          }
        },
      }),
    );
    await ns.start('127.0.0.1:0', tls);
    const peer = await nodeTls('swarm-worker', tls.ca, 'peer7');
    expect(await ask(ns.port, channelCredentials(peer))).toMatchObject({
      nodeId: 'peer7',
      role: 'swarm-worker',
      clusterId: 'c1',
    });
    const anonymous = grpc.credentials.createSsl(Buffer.from(tls.caCertPem));
    await expect(ask(ns.port, anonymous)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining('needs a node certificate'),
    });
  });

  test('a renewed certificate is presented to new connections on the same port', async () => {
    const worker = await nodeTls('swarm-worker');
    const ns = new NodeServer();
    servers.push(ns);
    await ns.start('127.0.0.1:0', worker);
    expect(await presentedRole(ns.port)).toBe('swarm-worker');
    ns.updateTls(await nodeTls('swarm-manager', worker.ca));
    await new Promise((r) => setImmediate(r));
    expect(await presentedRole(ns.port)).toBe('swarm-manager');
  });

  test('a port in use is a clear error', async () => {
    const tls = await nodeTls();
    const a = new NodeServer();
    servers.push(a);
    await a.start('127.0.0.1:0', tls);
    const b = new NodeServer();
    const err = await b.start(`127.0.0.1:${a.port}`, tls).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterListenError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^cannot listen on 127\\.0\\.0\\.1:${a.port} for cluster traffic: .*address already in use.*Free the port or pick another with --listen-addr$`,
      ),
    );
    expect(b.running).toBeNull();
  });
});
