// The serving side of proto/peer.proto: this node's images and task logs, for other nodes of the
// same cluster only (the caller's certificate is checked on every call, whatever the listener's
// TLS settings are).
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { ContainerManager, ImageStore, Logger } from '@flotilla/engine-core';
import { callerIdentity } from '@flotilla/manager';
import { TASK_LABELS } from '../executor/container-spec';
import { peerServices, type WireBlob, type WireLogLine, type WireLogsRequest, type WireResolved } from './proto';
import { isDigest } from './validate';

export interface PeerServiceDeps {
  images: ImageStore;
  containers: ContainerManager;
  /**
   * The cluster this node belongs to: callers must hold a certificate of the same one. A function
   * when the server outlives a membership (a node-level server registered before the join).
   */
  clusterId: string | (() => string | undefined);
  log?: Logger;
}

/** Bytes per FetchBlob message: well under grpc's 4 MiB default receive limit. */
const CHUNK = 1 << 20;

type Failure = Error & { code: grpc.status };
const failure = (code: grpc.status, message: string): Failure => Object.assign(new Error(message), { code });

/** Add the Peer service to a server (the node-level gRPC server, or a test's). */
export function registerPeerServices(server: grpc.Server, deps: PeerServiceDeps): void {
  const authorize = (call: Parameters<typeof callerIdentity>[0]) => {
    const cluster = typeof deps.clusterId === 'function' ? deps.clusterId() : deps.clusterId;
    if (!cluster) throw failure(grpc.status.UNAVAILABLE, 'this node is not part of a swarm');
    return callerIdentity(call, cluster);
  };
  server.addService(peerServices().Peer.service, {
    ResolveImage: (call: grpc.ServerUnaryCall<{ ref: string }, WireResolved>, cb: grpc.sendUnaryData<WireResolved>) => {
      try {
        authorize(call);
      } catch (e) {
        cb(e as Failure);
        return;
      }
      resolveImage(deps.images, call.request.ref).then(
        (r) => cb(null, r),
        (e: Error) => cb(failure(grpc.status.INTERNAL, e.message)),
      );
    },
    FetchBlob: (call: grpc.ServerWritableStream<{ digest: string }, { data: Buffer }>) => {
      void fetchBlob(deps, call, authorize);
    },
    TaskLogs: (call: grpc.ServerWritableStream<WireLogsRequest, WireLogLine>) => {
      void taskLogs(deps, call, authorize);
    },
  });
}

const notFound: WireResolved = { found: false, imageId: '', manifest: null, config: null, layers: [], repoDigests: [] };

async function resolveImage(images: ImageStore, ref: string): Promise<WireResolved> {
  let id: string | undefined;
  try {
    id = images.lookup(ref);
  } catch {
    id = undefined; // an ambiguous ID prefix: not an answer we can give
  }
  if (!id) return notFound;
  const { digest, bytes, manifest } = await images.manifest(id);
  const blob = (d: { mediaType?: string; digest: string; size: number }): WireBlob => ({
    mediaType: d.mediaType ?? '',
    digest: d.digest,
    size: d.size,
  });
  // A blob that is gone here (a layer only kept unpacked) cannot be served: say we lack the image.
  for (const d of [manifest.config, ...manifest.layers]) if (!(await images.blobs.has(d.digest))) return notFound;
  const rec = await images.record(id);
  return {
    found: true,
    imageId: id,
    manifest: { mediaType: manifest.mediaType ?? '', digest, size: bytes.length },
    config: blob(manifest.config),
    layers: manifest.layers.map(blob),
    repoDigests: rec.repoDigests,
  };
}

async function fetchBlob(
  deps: PeerServiceDeps,
  call: grpc.ServerWritableStream<{ digest: string }, { data: Buffer }>,
  authorize: (c: typeof call) => unknown,
): Promise<void> {
  try {
    authorize(call);
    const digest = call.request.digest;
    if (!isDigest(digest)) throw failure(grpc.status.INVALID_ARGUMENT, `malformed digest ${JSON.stringify(digest)}`);
    if (!(await deps.images.blobs.has(digest)))
      throw failure(grpc.status.NOT_FOUND, `blob ${digest} not found on this node`);
    const file = createReadStream(deps.images.blobs.path(digest), { highWaterMark: CHUNK });
    call.on('cancelled', () => file.destroy());
    for await (const chunk of file as AsyncIterable<Buffer>) {
      if (call.cancelled) return;
      if (!call.write({ data: chunk })) await once(call, 'drain');
    }
    call.end();
  } catch (e) {
    endWithError(call, e, deps.log);
  }
}

async function taskLogs(
  deps: PeerServiceDeps,
  call: grpc.ServerWritableStream<WireLogsRequest, WireLogLine>,
  authorize: (c: typeof call) => unknown,
): Promise<void> {
  const stop = new AbortController();
  call.on('cancelled', () => stop.abort());
  try {
    authorize(call);
    const r = call.request;
    const id =
      r.containerId ||
      deps.containers.list({ all: true, filters: { label: [`${TASK_LABELS.taskId}=${r.taskId}`] } })[0]?.Id;
    if (!id) throw failure(grpc.status.NOT_FOUND, `no container for task ${r.taskId} on this node`);
    let entries: AsyncIterable<{ stream: string; time: string; line: string }>;
    try {
      entries = await deps.containers.logs(id, {
        stdout: true,
        stderr: true,
        follow: r.follow,
        tail: r.tail >= 0 ? r.tail : 'all',
        since: r.since || undefined,
        signal: stop.signal,
      });
    } catch (e) {
      throw failure(grpc.status.NOT_FOUND, (e as Error).message);
    }
    for await (const e of entries) {
      if (call.cancelled) return;
      if (!call.write({ stream: e.stream, time: e.time, line: e.line })) await once(call, 'drain');
    }
    call.end();
  } catch (e) {
    endWithError(call, e, deps.log);
  } finally {
    stop.abort();
  }
}

function endWithError(call: grpc.ServerWritableStream<unknown, unknown>, e: unknown, log?: Logger): void {
  if (call.cancelled) return;
  const err = e as Partial<Failure>;
  const code = typeof err.code === 'number' ? err.code : grpc.status.INTERNAL;
  if (code === grpc.status.INTERNAL) log?.warn({ err: e }, 'peer call failed');
  // grpc-js turns an 'error' event on a server stream into the call's status
  call.emit('error', failure(code, err.message ?? String(e)));
}
