// OCI / Docker image JSON shapes and media types, as they are stored and exchanged.
import type { ContainerConfigSpec } from './types';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface HistoryItem {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image config blob; its sha256 is the image ID. */
export interface ImageConfig {
  architecture: string;
  os: string;
  created?: string;
  author?: string;
  config?: ContainerConfigSpec;
  container_config?: ContainerConfigSpec;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryItem[];
  /** Docker keeps the builder's parent image ID here (not part of OCI; harmless to others). */
  parent?: string;
  comment?: string;
}

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MEDIA.ociIndex || mt === MEDIA.dockerManifestList;
}

/**
 * Pair each layer of a manifest (or archive) with the diff ID the config lists at its position;
 * undefined when the two lists differ in length (a corrupt or mismatched image).
 */
export function pairLayers<T>(
  layers: readonly T[],
  diffIds: readonly string[],
): { layer: T; diffId: string }[] | undefined {
  if (layers.length !== diffIds.length) return undefined;
  const pairs: { layer: T; diffId: string }[] = [];
  for (const [i, layer] of layers.entries()) {
    const diffId = diffIds[i];
    if (diffId === undefined) return undefined;
    pairs.push({ layer, diffId });
  }
  return pairs;
}
