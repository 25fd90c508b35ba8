// Docker image references, normalised like docker's distribution/reference:
// "busybox" -> docker.io/library/busybox:latest, displayed back in the familiar form "busybox:latest".
import { InvalidArgumentError } from '../errors';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';

export interface ImageReference {
  /** Registry host[:port], e.g. "docker.io" or "127.0.0.1:5000". */
  domain: string;
  /** Repository path inside the registry, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

/** Parse and normalise a reference; the tag stays undefined when absent (see withDefaultTag). */
export function parseReference(ref: string): ImageReference {
  const bad = (why: string) => new InvalidArgumentError(`invalid reference format: ${why} (${JSON.stringify(ref)})`);
  if (!ref) throw bad('empty');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('bad digest');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad('bad tag');
  }
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (!path || !path.split('/').every((c) => COMPONENT.test(c))) {
    throw bad('repository name must be lowercase');
  }
  return { domain, path, tag, digest };
}

export function withDefaultTag(r: ImageReference): ImageReference {
  return r.tag || r.digest ? r : { ...r, tag: 'latest' };
}

/** "docker.io/library/busybox" */
export function repositoryName(r: ImageReference): string {
  return `${r.domain}/${r.path}`;
}

/** Full canonical string: "docker.io/library/busybox:latest" or "...@sha256:...". */
export function canonicalString(r: ImageReference): string {
  return repositoryName(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** Docker's familiar repository name: "busybox", "user/app", "127.0.0.1:5000/app". */
export function familiarRepository(r: ImageReference): string {
  if (r.domain !== DEFAULT_DOMAIN) return `${r.domain}/${r.path}`;
  return r.path.startsWith('library/') && r.path.split('/').length === 2 ? r.path.slice(8) : r.path;
}

export function familiarString(r: ImageReference): string {
  return familiarRepository(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** Normalise a user-given reference to its canonical tagged form (default tag "latest"). */
export function normalizeReference(ref: string): string {
  return canonicalString(withDefaultTag(parseReference(ref)));
}

/** True when `s` looks like an image ID or a prefix of one (hex, optionally "sha256:"). */
export function looksLikeId(s: string): boolean {
  return /^(sha256:)?[a-f0-9]{1,64}$/.test(s);
}
