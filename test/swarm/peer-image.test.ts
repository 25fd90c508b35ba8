// Image fetch from a peer node (issue 5): node B runs a task whose image only node A has, over
// real gRPC with mutual TLS between two real engines; corrupt or foreign peers are refused and
// leave nothing behind in B's store.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { RootCA, TaskState, type NodeTls } from '@flotilla/manager';
import {
  EngineExecutor,
  fetchImageFromPeers,
  PeerClient,
  PeerFetchError,
  PeerImageNotFoundError,
  peerImageFetcher,
} from '@flotilla/worker';
import { runTask, startTestEngine, testTask, type TestEngine } from './engine-fixture';
import { clientCredentials, makeImage, nodeTls, startPeerServer } from './peer-fixture';

jest.setTimeout(60_000);

const CLUSTER = 'cluster-one';

describe('image fetch from a peer node', () => {
  let ca: RootCA;
  let a: TestEngine;
  let b: TestEngine;
  let aTls: NodeTls;
  let bTls: NodeTls;
  let peerA: Awaited<ReturnType<typeof startPeerServer>>;
  const served: string[] = [];

  beforeAll(async () => {
    ca = await RootCA.create();
    [aTls, bTls] = await Promise.all([nodeTls(ca, 'nodeA', CLUSTER), nodeTls(ca, 'nodeB', CLUSTER)]);
    [a, b] = await Promise.all([startTestEngine('peerA'), startTestEngine('peerB')]);
    peerA = await startPeerServer(
      aTls,
      { images: a.images, containers: a.containers, clusterId: CLUSTER },
      {
        wrap: (impl) => ({
          ...impl,
          FetchBlob: (call: grpc.ServerWritableStream<{ digest: string }, unknown>) => {
            served.push(call.request.digest);
            (impl.FetchBlob as (c: typeof call) => void)(call);
          },
        }),
      },
    );
  });

  afterAll(async () => {
    await peerA?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  /** Names of files under B's store dirs that could hold a half-written image. */
  const bStoreFiles = () =>
    ['blobs/sha256', 'layers', 'tmp']
      .flatMap((d) => readdirSync(join(b.paths.images, d)).map((f) => `${d}/${f}`))
      .sort();

  test('B runs a task whose image only A has: fetched from A, same image ID, then the container runs', async () => {
    const img = await makeImage(
      a.images,
      'friendlyhello:latest',
      { 'app/hello.txt': 'hello from node A\n' },
      { base: 'busybox:latest', cmd: ['cat', '/app/hello.txt'] },
    );
    expect(b.images.lookup('friendlyhello:latest')).toBeUndefined();
    const executor = new EngineExecutor({
      containers: b.containers,
      images: b.images,
      serviceName: () => 'lab_web',
      network: async () => ({ name: 'none', aliases: [] }),
      engineVersion: 'test',
      // an unreachable peer first: it is skipped, A answers
      fetchFromPeers: peerImageFetcher({
        images: b.images,
        peers: () => ['127.0.0.1:1', peerA.addr],
        credentials: () => clientCredentials(bTls),
      }),
    });
    const t = testTask('peer', { ContainerSpec: { Image: 'friendlyhello:latest' } });
    const { reached } = runTask(executor, t, 30_000);
    const done = await reached(TaskState.COMPLETE);
    expect(done.ContainerStatus?.ExitCode).toBe(0);
    expect(b.images.lookup('friendlyhello:latest')).toBe(img.id);
    const rec = await b.images.resolve('friendlyhello');
    expect(rec.id).toBe(img.id);
    expect(rec.diffIds).toEqual(img.diffIds);
    // the manifest bytes travelled unchanged: same manifest digest on both nodes
    expect((await b.images.manifest(img.id)).digest).toBe((await a.images.manifest(img.id)).digest);
    const cid = done.ContainerStatus!.ContainerID!;
    expect(b.containers.inspect(cid).Image).toBe(img.id);
    let out = '';
    for await (const e of await b.containers.logs(cid)) out += e.line;
    expect(out).toBe('hello from node A\n');
  });

  test('only the blobs B lacks are transferred', async () => {
    const base = await a.images.resolve('friendlyhello:latest');
    const next = await makeImage(
      a.images,
      'friendlyhello:v2',
      { 'app/v2.txt': 'two\n' },
      { base: 'friendlyhello:latest' },
    );
    served.length = 0;
    const got = await fetchImageFromPeers('friendlyhello:v2', {
      peers: [peerA.addr],
      credentials: clientCredentials(bTls),
      images: b.images,
    });
    expect(got.id).toBe(next.id);
    const { manifest } = await a.images.manifest(next.id);
    const newLayer = manifest.layers.at(-1)?.digest;
    const oldLayers = (await a.images.manifest(base.id)).manifest.layers.map((l) => l.digest);
    expect(served).toContain(newLayer);
    expect(served.filter((d) => oldLayers.includes(d))).toEqual([]);
    expect(served).toHaveLength(3); // manifest, config, the new layer
  });

  test('a corrupted blob on A is refused by B, and B keeps no part of the image', async () => {
    const img = await makeImage(
      a.images,
      'corrupt:1',
      { 'data.bin': randomBytes(200_000) },
      { base: 'busybox:latest' },
    );
    const { manifest } = await a.images.manifest(img.id);
    const bad = manifest.layers.at(-1)?.digest ?? 'the image has no layers';
    const file = a.images.blobs.path(bad);
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(100_000) ^ 0xff, 100_000);
    writeFileSync(file, bytes);
    const before = bStoreFiles();
    const err = await fetchImageFromPeers('corrupt:1', {
      peers: [peerA.addr],
      credentials: clientCredentials(bTls),
      images: b.images,
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PeerFetchError);
    expect((err as Error).message).toMatch(
      new RegExp(`layer 2/2 from peer ${peerA.addr} is corrupt: blob digest mismatch: expected ${bad}`),
    );
    expect(b.images.lookup('corrupt:1')).toBeUndefined();
    expect(bStoreFiles()).toEqual(before);
  });

  test('a peer that dies mid-transfer is a clear error and leaves nothing behind', async () => {
    await makeImage(a.images, 'big:1', { 'big.bin': randomBytes(6 * 1024 * 1024) }, { base: 'busybox:latest' });
    // A second server for A whose FetchBlob kills the whole server after the first chunk of a big blob.
    const dying = await startPeerServer(
      aTls,
      { images: a.images, containers: a.containers, clusterId: CLUSTER },
      {
        wrap: (impl, server) => ({
          ...impl,
          FetchBlob: (call: grpc.ServerWritableStream<{ digest: string }, unknown>) => {
            const write = call.write.bind(call);
            let n = 0;
            call.write = ((chunk: unknown, ...rest: never[]) => {
              if (++n === 2) {
                server.forceShutdown();
                return false;
              }
              return write(chunk, ...rest);
            }) as typeof call.write;
            (impl.FetchBlob as (c: typeof call) => void)(call);
          },
        }),
      },
    );
    const before = bStoreFiles();
    try {
      const err = await fetchImageFromPeers('big:1', {
        peers: [dying.addr],
        credentials: clientCredentials(bTls),
        images: b.images,
      }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(PeerFetchError);
      expect((err as Error).message).toMatch(
        /layer 2\/2 sha256:[a-f0-9]{64} from peer 127\.0\.0\.1:\d+: transfer failed/,
      );
      expect(b.images.lookup('big:1')).toBeUndefined();
      expect(bStoreFiles()).toEqual(before);
    } finally {
      await dying.close();
    }
  });

  test('nothing has the image: the task is rejected with docker\'s "No such image"', async () => {
    const executor = new EngineExecutor({
      containers: b.containers,
      images: b.images,
      serviceName: () => 'lab_web',
      network: async () => ({ name: 'none', aliases: [] }),
      engineVersion: 'test',
      fetchFromPeers: (ref, signal) =>
        fetchImageFromPeers(ref, {
          peers: [peerA.addr],
          credentials: clientCredentials(bTls),
          images: b.images,
          signal,
        }),
    });
    const t = testTask('peer', { ContainerSpec: { Image: 'nothere:1' } });
    const { reached } = runTask(executor, t);
    const rejected = await reached(TaskState.REJECTED);
    expect(rejected.Err).toBe('No such image: nothere:1');
  });

  test('a digest-pinned ref gets exactly that manifest, whatever a peer answers', async () => {
    const img = await a.images.resolve('friendlyhello:latest');
    const { digest } = await a.images.manifest(img.id);
    await makeImage(a.images, 'pinned:1', { 'x.txt': 'x\n' });
    // A peer that answers every question with pinned:1
    const liar = await startPeerServer(
      aTls,
      { images: a.images, containers: a.containers, clusterId: CLUSTER },
      {
        wrap: (impl) => ({
          ...impl,
          ResolveImage: (call: grpc.ServerUnaryCall<{ ref: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
            call.request.ref = 'pinned:1';
            (impl.ResolveImage as (c: typeof call, cb2: typeof cb) => void)(call, cb);
          },
        }),
      },
    );
    try {
      const ref = `friendlyhello@${digest}`;
      const err = await fetchImageFromPeers(ref, {
        peers: [liar.addr],
        credentials: clientCredentials(bTls),
        images: b.images,
      }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(PeerFetchError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `^peer ${liar.addr} answered ${ref} with manifest sha256:[a-f0-9]{64} \\(image sha256:[a-f0-9]{64}\\); refusing it$`,
        ),
      );
      expect(b.images.lookup('pinned:1')).toBeUndefined();
      // an honest peer serves the pinned digest; B finds the image by it afterwards
      const got = await fetchImageFromPeers(ref, {
        peers: [peerA.addr],
        credentials: clientCredentials(bTls),
        images: b.images,
      });
      expect(got.id).toBe(img.id);
      expect(b.images.lookup(ref)).toBe(img.id);
    } finally {
      await liar.close();
    }
  });

  test('a peer of another cluster is refused', async () => {
    // Another swarm: its own CA. TLS itself fails, so A looks unreachable and B finds no image.
    const otherCa = await RootCA.create();
    const stranger = await nodeTls(otherCa, 'nodeX', 'cluster-two');
    const err = await fetchImageFromPeers('friendlyhello:latest', {
      peers: [peerA.addr],
      credentials: clientCredentials(stranger),
      images: b.images,
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PeerImageNotFoundError);
    expect((err as Error).message).toContain(`${peerA.addr}: unreachable`);

    // On a listener that lets certificate-less callers connect (the manager's, for joining),
    // the per-call check refuses a certificate of another cluster and a missing one.
    const open = await startPeerServer(
      aTls,
      { images: a.images, containers: a.containers, clusterId: CLUSTER },
      { requireClientCert: false },
    );
    try {
      const sameCaOtherCluster = await nodeTls(ca, 'nodeY', 'cluster-two');
      const c1 = new PeerClient(open.addr, clientCredentials(sameCaOtherCluster));
      const e1 = (await c1
        .resolveImage('friendlyhello:latest')
        .catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
      c1.close();
      expect(e1.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(e1.details).toBe(`certificate is for cluster cluster-two, not this one (${CLUSTER})`);
      const c2 = new PeerClient(open.addr, grpc.credentials.createSsl(Buffer.from(ca.certPem)));
      const e2 = (await c2
        .resolveImage('friendlyhello:latest')
        .catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
      c2.close();
      expect(e2.code).toBe(grpc.status.PERMISSION_DENIED);
      // a member of the cluster is served on the same listener
      const c3 = new PeerClient(open.addr, clientCredentials(bTls));
      expect((await c3.resolveImage('friendlyhello:latest')).found).toBe(true);
      c3.close();
    } finally {
      await open.close();
    }
    // a node-level server that outlived its swarm membership serves nobody
    const left = await startPeerServer(aTls, {
      images: a.images,
      containers: a.containers,
      clusterId: () => undefined,
    });
    try {
      const c = new PeerClient(left.addr, clientCredentials(bTls));
      const e = (await c.resolveImage('friendlyhello:latest').catch((x: grpc.ServiceError) => x)) as grpc.ServiceError;
      c.close();
      expect(e.code).toBe(grpc.status.UNAVAILABLE);
      expect(e.details).toBe('this node is not part of a swarm');
    } finally {
      await left.close();
    }
  });

  test('replicas preparing together share one transfer', async () => {
    await makeImage(a.images, 'shared:1', { 's.txt': 's\n' }, { base: 'busybox:latest' });
    served.length = 0;
    const o = { peers: [peerA.addr], credentials: clientCredentials(bTls), images: b.images };
    const [r1, r2, r3] = await Promise.all([
      fetchImageFromPeers('shared:1', o),
      fetchImageFromPeers('shared:1', o),
      fetchImageFromPeers('shared:1', o),
    ]);
    expect(r2.id).toBe(r1.id);
    expect(r3.id).toBe(r1.id);
    expect(served).toHaveLength(3); // manifest, config, one layer: once
  });
});
