// The Docker API's views of an image (GET /images/json, /images/{name}/json, /history) and the
// filters of `docker images`, built from what the store holds.
import type { ImageHistoryItem, ImageInspect, ImageSummary } from './docker-shapes';
import type { ImageConfig } from './oci';
import type { StoredImage } from './repositories';
import type { ImageRecord } from './types';

export interface ImageFilters {
  reference?: string[];
  dangling?: boolean;
  label?: string[];
}

export function matchesFilters(rec: ImageRecord, f: ImageFilters | undefined): boolean {
  if (f?.dangling !== undefined && (rec.repoTags.length === 0) !== f.dangling) return false;
  if (f?.reference?.length && !f.reference.some((p) => rec.repoTags.some((t) => matchReference(p, t)))) return false;
  if (f?.label?.length && !f.label.every((l) => matchLabel(l, rec.config.Labels ?? {}))) return false;
  return true;
}

function matchReference(pattern: string, tag: string): boolean {
  const withTag = pattern.includes(':') ? pattern : `${pattern}:*`;
  const re = new RegExp(
    `^${withTag
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(tag);
}

function matchLabel(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

export function imageSummary(r: ImageRecord, parent: string | undefined): ImageSummary {
  return {
    Id: r.id,
    ParentId: parent ?? '',
    RepoTags: r.repoTags.length ? r.repoTags : ['<none>:<none>'],
    RepoDigests: r.repoDigests.length ? r.repoDigests : r.repoTags.length ? [] : ['<none>@<none>'],
    Created: Math.floor(Date.parse(r.created) / 1000),
    Size: r.size,
    SharedSize: -1,
    VirtualSize: r.size,
    Labels: r.config.Labels ?? {},
    Containers: -1,
  };
}

/** `dirs`: the unpacked layer directories, bottom first. */
export function imageInspect(r: ImageRecord, c: ImageConfig, s: StoredImage, dirs: string[]): ImageInspect {
  return {
    Id: r.id,
    RepoTags: r.repoTags,
    RepoDigests: r.repoDigests,
    Parent: s.parent ?? '',
    Comment: c.comment ?? '',
    Created: r.created,
    Container: '',
    ContainerConfig: c.container_config ?? {},
    DockerVersion: '',
    Author: c.author ?? '',
    Config: r.config,
    Architecture: r.architecture,
    Os: r.os,
    Size: r.size,
    VirtualSize: r.size,
    GraphDriver: { Name: 'overlay2', Data: dirs.length ? { LowerDir: [...dirs].reverse().join(':') } : null },
    RootFS: { Type: 'layers', Layers: r.diffIds },
    Metadata: { LastTagTime: s.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
}

/** Newest first, like docker; `layerSize` gives the unpacked size of a diff ID (0 when unknown). */
export async function imageHistory(
  r: ImageRecord,
  c: ImageConfig,
  layerSize: (diffId: string) => Promise<number>,
): Promise<ImageHistoryItem[]> {
  const hist = c.history?.length ? c.history : r.diffIds.map(() => ({}) as NonNullable<ImageConfig['history']>[number]);
  let layer = 0;
  const items: ImageHistoryItem[] = [];
  for (const h of hist) {
    let size = 0;
    if (!h.empty_layer) {
      const d = r.diffIds[layer++];
      size = d ? await layerSize(d) : 0;
    }
    items.push({
      Id: '<missing>',
      Created: Math.floor(Date.parse(h.created ?? r.created) / 1000),
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  items.reverse();
  const [newest] = items;
  if (newest) {
    newest.Id = r.id;
    newest.Tags = r.repoTags.length ? r.repoTags : null;
  }
  return items;
}
