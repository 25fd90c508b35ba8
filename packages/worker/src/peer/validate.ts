// Answers from other nodes are untrusted input: checked here before anything reads them.
import type { WireBlob, WireResolved } from './proto';
import { PeerFetchError } from './errors';

export function isDigest(s: unknown): s is string {
  return typeof s === 'string' && /^sha256:[a-f0-9]{64}$/.test(s);
}

/** Largest blob a peer may announce (a manifest or config is far smaller; a layer rarely nears it). */
const MAX_BLOB = 64 * 1024 ** 3;

function checkBlob(b: WireBlob | null | undefined, what: string, peer: string): WireBlob {
  if (!b || !isDigest(b.digest) || !Number.isSafeInteger(b.size) || b.size < 0 || b.size > MAX_BLOB) {
    throw new PeerFetchError(`peer ${peer} sent a malformed ${what} descriptor (${JSON.stringify(b)})`);
  }
  return b;
}

export interface ResolvedImage {
  imageId: string;
  manifest: WireBlob;
  config: WireBlob;
  layers: WireBlob[];
  repoDigests: string[];
}

/** A found image's descriptors, checked; the config digest is the image ID. */
export function checkResolved(r: WireResolved, peer: string): ResolvedImage {
  const manifest = checkBlob(r.manifest, 'manifest', peer);
  const config = checkBlob(r.config, 'config', peer);
  if (config.digest !== r.imageId)
    throw new PeerFetchError(`peer ${peer} named image ${r.imageId} but its config blob is ${config.digest}`);
  if (!Array.isArray(r.layers) || r.layers.length > 1000)
    throw new PeerFetchError(`peer ${peer} sent a malformed layer list`);
  const layers = r.layers.map((l, i) => checkBlob(l, `layer ${i}`, peer));
  const repoDigests = (r.repoDigests ?? []).filter(
    (d) => typeof d === 'string' && d.length < 512 && /@sha256:[a-f0-9]{64}$/.test(d),
  );
  return { imageId: r.imageId, manifest, config, layers, repoDigests };
}
