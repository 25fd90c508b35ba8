// Nodes for the peer-service tests: certificates from a real cluster CA, a Peer gRPC server on
// loopback per node (mutual TLS), and small images made in a store with the store's own API.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ImageRecord, ImageStore } from '@flotilla/engine-core';
import {
  channelCredentials,
  createNodeKeyAndCsr,
  type RootCA,
  serverCredentials,
  type NodeTls,
} from '@flotilla/manager';
import { registerPeerServices, type PeerServiceDeps } from '@flotilla/worker';

export async function nodeTls(ca: RootCA, nodeId: string, clusterId: string): Promise<NodeTls> {
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const certPem = await ca.issue(csrPem, { nodeId, role: 'swarm-worker', clusterId });
  return { caCertPem: ca.certPem, keyPem, certPem };
}

export function clientCredentials(tls: NodeTls): grpc.ChannelCredentials {
  return channelCredentials(tls);
}

/**
 * A Peer server on 127.0.0.1. `wrap` may replace handlers (tests count or break calls through it,
 * the production handlers run underneath). `requireClientCert: false` is the manager listener's
 * mode (joining nodes have no certificate yet): then only the per-call check keeps strangers out.
 */
export async function startPeerServer(
  tls: NodeTls,
  deps: PeerServiceDeps,
  opts: {
    requireClientCert?: boolean;
    wrap?: (impl: grpc.UntypedServiceImplementation, server: grpc.Server) => grpc.UntypedServiceImplementation;
  } = {},
): Promise<{ server: grpc.Server; addr: string; close(): Promise<void> }> {
  const server = new grpc.Server();
  const target = opts.wrap
    ? (Object.assign(Object.create(server) as grpc.Server, {
        addService: (def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation) =>
          server.addService(def, opts.wrap!(impl, server)),
      }) as grpc.Server)
    : server;
  registerPeerServices(target, deps);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(tls, opts.requireClientCert ?? true), (e, p) =>
      e ? rej(e) : res(p),
    ),
  );
  return {
    server,
    addr: `127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.tryShutdown(() => r())),
  };
}

/**
 * An image on top of `base` (or a single layer) with one more layer holding `files`, made the way
 * the builder makes a layer (a directory turned into a layer), tagged `tag`.
 */
export async function makeImage(
  images: ImageStore,
  tag: string,
  files: Record<string, string | Buffer>,
  opts: { base?: string; cmd?: string[] } = {},
): Promise<ImageRecord> {
  const dir = images.tempPath('peer-test');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const layer = await images.layers.createFromDir(dir);
  const base = opts.base ? await images.resolve(opts.base) : undefined;
  const created = new Date().toISOString();
  const config = {
    architecture: 'amd64',
    os: 'linux',
    created,
    config: { Cmd: opts.cmd ?? ['sh'], Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: [...(base?.diffIds ?? []), layer.diffId] },
    history: [
      ...(base?.diffIds ?? []).map(() => ({ created, created_by: 'base' })),
      { created, created_by: `COPY ${Object.keys(files).join(' ')} /` },
    ],
  };
  return images.addImage(Buffer.from(JSON.stringify(config)), { tags: [tag] });
}
