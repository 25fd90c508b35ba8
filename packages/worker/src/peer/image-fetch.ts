// Image fetch from peer nodes: for an image built on one node and deployed without a registry
// (moby#34351). Peers are asked in turn; the first that has the image sends the blobs this node
// lacks. Every blob is verified against its digest, every layer against its diff ID, and the image
// is registered only when all of it is here; on failure what this fetch added is removed again.
import { Readable } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import type { ImageConfig, ImageManifest, ImageRecord, ImageStore, Logger } from '@flotilla/engine-core';
import { canonicalString, DigestMismatchError, parseReference } from '@flotilla/engine-core';
import { describeRpcError, isUnreachable, PeerClient } from './client';
import { PeerFetchError, PeerImageNotFoundError } from './errors';
import type { WireBlob } from './proto';
import { checkResolved, type ResolvedImage } from './validate';

export interface PeerFetchOptions {
  /** host:port of the peers' node-level gRPC servers, asked in this order. */
  peers: string[];
  /** This node's certificate (mutual TLS; peers check it belongs to their cluster). */
  credentials: grpc.ChannelCredentials;
  images: ImageStore;
  signal?: AbortSignal;
  log?: Logger;
  /** A peer that sends nothing for this long is treated as dead (default 30 s). */
  idleMs?: number;
}

const LAYER_CONCURRENCY = 3;

/**
 * The executor's `fetchFromPeers`, bound to a node: peers and credentials are read at each fetch
 * (membership and certificates change while the daemon runs). Without credentials (not in a
 * swarm) or peers it finds nothing, so the executor goes on to the registry.
 */
export function peerImageFetcher(o: {
  images: ImageStore;
  peers: () => string[] | Promise<string[]>;
  credentials: () => grpc.ChannelCredentials | null | undefined;
  log?: Logger;
}): (ref: string, signal: AbortSignal) => Promise<ImageRecord> {
  return async (ref, signal) => {
    const credentials = o.credentials();
    const peers = credentials ? await o.peers() : [];
    if (!credentials || peers.length === 0) throw new PeerImageNotFoundError(ref, []);
    return fetchImageFromPeers(ref, { peers, credentials, images: o.images, signal, log: o.log });
  };
}

/** Fetches of the same ref into the same store share one transfer (replicas prepare together). */
const inflight = new WeakMap<ImageStore, Map<string, Promise<ImageRecord>>>();

export function fetchImageFromPeers(ref: string, o: PeerFetchOptions): Promise<ImageRecord> {
  let byRef = inflight.get(o.images);
  if (!byRef) inflight.set(o.images, (byRef = new Map()));
  const running = byRef.get(ref);
  if (running) {
    // The shared fetch may die of its first caller's abort (a task removed); ours still wants it.
    return running.catch((e: unknown) => {
      if ((e as Error).name === 'AbortError' && !o.signal?.aborted) return fetchImageFromPeers(ref, o);
      throw e;
    });
  }
  const p = fetchOnce(ref, o).finally(() => byRef.delete(ref));
  byRef.set(ref, p);
  return p;
}

async function fetchOnce(ref: string, o: PeerFetchOptions): Promise<ImageRecord> {
  const attempts: string[] = [];
  const failures: PeerFetchError[] = [];
  for (const addr of o.peers) {
    o.signal?.throwIfAborted();
    const client = new PeerClient(addr, o.credentials);
    try {
      let resolved: ResolvedImage;
      try {
        const r = await client.resolveImage(ref, { signal: o.signal });
        if (!r.found) continue;
        resolved = checkResolved(r, addr);
      } catch (e) {
        if (e instanceof PeerFetchError) throw e;
        attempts.push(`${addr}: ${isUnreachable(e) ? 'unreachable: ' : ''}${describeRpcError(e)}`);
        continue;
      }
      checkPinnedDigest(ref, resolved, addr);
      o.log?.info({ ref, peer: addr, id: resolved.imageId }, 'fetching image from peer');
      return await transfer(ref, resolved, client, o);
    } catch (e) {
      o.signal?.throwIfAborted();
      // Another peer may hold a good copy; the error is kept for when none does.
      const err =
        e instanceof PeerFetchError
          ? e
          : new PeerFetchError(`fetching ${ref} from peer ${addr} failed: ${describeRpcError(e)}`, { cause: e });
      failures.push(err);
      o.log?.warn({ ref, peer: addr, err: err.message }, 'peer image fetch failed');
    } finally {
      client.close();
    }
  }
  if (failures.length)
    throw failures.length === 1
      ? failures[0]
      : new PeerFetchError(failures.map((f) => f.message).join('; '), { cause: failures[0] });
  if (attempts.length) o.log?.info({ ref, attempts }, 'no reachable peer has the image');
  throw new PeerImageNotFoundError(ref, attempts);
}

/** A ref pinned by digest must get exactly that manifest (or that image ID), whatever a peer says. */
function checkPinnedDigest(ref: string, r: ResolvedImage, addr: string): void {
  let digest: string | undefined;
  if (/^(sha256:)?[a-f0-9]{64}$/.test(ref)) digest = ref.startsWith('sha256:') ? ref : `sha256:${ref}`;
  else {
    try {
      digest = parseReference(ref).digest;
    } catch {
      digest = undefined;
    }
  }
  if (digest && digest !== r.manifest.digest && digest !== r.imageId) {
    throw new PeerFetchError(
      `peer ${addr} answered ${ref} with manifest ${r.manifest.digest} (image ${r.imageId}); refusing it`,
    );
  }
}

/** One layer of a fetched image: its 1-based number, the manifest's descriptor, the peer's blob, its diff ID. */
interface LayerEntry {
  n: number;
  layer: ImageManifest['layers'][number];
  wire: WireBlob;
  diffId: string;
}

async function transfer(ref: string, r: ResolvedImage, client: PeerClient, o: PeerFetchOptions): Promise<ImageRecord> {
  const { images } = o;
  const addedBlobs: string[] = [];
  const addedLayers: string[] = [];
  const getBlob = async (b: WireBlob, what: string): Promise<void> => {
    if (await images.blobs.has(b.digest)) return;
    const bytes = client.fetchBlob(b.digest, { maxBytes: b.size, idleMs: o.idleMs, signal: o.signal });
    try {
      await images.blobs.putStream(Readable.from(bytes), { expected: b.digest, signal: o.signal });
    } catch (e) {
      if (e instanceof DigestMismatchError)
        throw new PeerFetchError(`${what} from peer ${client.addr} is corrupt: ${e.message}`, { cause: e });
      throw new PeerFetchError(
        `${what} ${b.digest} from peer ${client.addr}: transfer failed: ${describeRpcError(e)}`,
        { cause: e },
      );
    }
    addedBlobs.push(b.digest);
  };
  try {
    await getBlob(r.manifest, 'manifest');
    const manifestBytes = await images.blobs.get(r.manifest.digest);
    const manifest = parseJson<ImageManifest>(manifestBytes, 'manifest', client.addr);
    // The manifest is verified by its digest; the descriptors the peer listed must be its own.
    const same = (a: WireBlob, b: { digest: string } | undefined) => a.digest === b?.digest;
    if (
      !same(r.config, manifest.config) ||
      manifest.layers?.length !== r.layers.length ||
      !r.layers.every((l, i) => same(l, manifest.layers[i]))
    ) {
      throw new PeerFetchError(`peer ${client.addr} listed blobs that are not those of manifest ${r.manifest.digest}`);
    }
    await getBlob(r.config, 'config');
    const configBytes = await images.blobs.get(r.config.digest);
    const config = parseJson<ImageConfig>(configBytes, 'config', client.addr);
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length)
      throw new PeerFetchError(
        `invalid image from peer ${client.addr}: the manifest lists ${manifest.layers.length} layers but the config ${diffIds.length}`,
      );
    // One entry per layer: the manifest's descriptor, the blob the peer listed, the config's diff ID.
    const layers: LayerEntry[] = [];
    for (const [i, layer] of manifest.layers.entries()) {
      const wire = r.layers[i];
      const diffId = diffIds[i];
      // The lengths were checked equal above; this keeps the zip honest should that check move.
      if (!wire || diffId === undefined) throw new PeerFetchError(`layer ${i + 1} from peer ${client.addr} is missing`);
      layers.push({ n: i + 1, layer, wire, diffId });
    }
    const todo: LayerEntry[] = [];
    for (const l of layers) if (!(await images.layers.has(l.diffId))) todo.push(l);
    const fetchLayer = async ({ n, layer, wire, diffId }: LayerEntry) => {
      await getBlob(wire, `layer ${n}/${layers.length}`);
      try {
        await images.layers.ensureFromBlob(
          { mediaType: layer.mediaType, digest: layer.digest, size: layer.size },
          diffId,
          o.signal,
        );
      } catch (e) {
        throw new PeerFetchError(
          `layer ${n}/${layers.length} from peer ${client.addr} does not unpack to ${diffId}: ${(e as Error).message}`,
          { cause: e },
        );
      }
      addedLayers.push(diffId);
    };
    // Three layers at a time, like pull. Every worker stops at the first failure and all are
    // waited for, so the cleanup below never races a download still landing.
    let failed: unknown;
    await Promise.all(
      Array.from({ length: Math.min(LAYER_CONCURRENCY, todo.length) }, async () => {
        for (let l = todo.shift(); l !== undefined && failed === undefined; l = todo.shift()) {
          await fetchLayer(l).catch((e: unknown) => {
            failed ??= e;
          });
        }
      }),
    );
    if (failed !== undefined) throw failed;
    const tags = tagOf(ref);
    return await images.addImage(configBytes, {
      manifest: manifestBytes,
      tags,
      repoDigests: canonicalDigests(r.repoDigests),
    });
  } catch (e) {
    // Only what this fetch brought in goes: blobs and layers that were here before stay.
    for (const d of addedLayers) await images.layers.remove(d).catch(() => undefined);
    for (const d of addedBlobs) await images.blobs.delete(d).catch(() => undefined);
    throw e;
  }
}

function parseJson<T>(bytes: Buffer, what: string, addr: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new PeerFetchError(`the ${what} from peer ${addr} is not JSON`);
  }
}

/** The name the task used becomes a local tag, as if built or pulled here; IDs and digests add none. */
function tagOf(ref: string): string[] {
  if (/^(sha256:)?[a-f0-9]{64}$/.test(ref)) return [];
  try {
    const p = parseReference(ref);
    return p.digest ? [] : [ref];
  } catch {
    return [];
  }
}

function canonicalDigests(familiar: string[]): string[] {
  const out: string[] = [];
  for (const d of familiar) {
    try {
      out.push(canonicalString(parseReference(d)));
    } catch {
      // not a reference: dropped
    }
  }
  return out;
}
