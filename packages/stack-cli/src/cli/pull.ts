// Pull with docker's progress text ("latest: Pulling from library/x", per-layer lines, Digest, Status).
import type { Ctx } from './io';
import { err, out } from './io';

/** Normalise a short reference: "x" -> "x:latest" (digests and explicit tags kept). */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? ref : `${ref}:latest`;
}

export function splitRef(ref: string): { fromImage: string; tag: string } {
  const full = withDefaultTag(ref);
  const at = full.indexOf('@');
  if (at >= 0) return { fromImage: full.slice(0, at), tag: full.slice(at + 1) };
  const colon = full.lastIndexOf(':');
  return { fromImage: full.slice(0, colon), tag: full.slice(colon + 1) };
}

export async function pullImage(
  ctx: Ctx,
  ref: string,
  opts: { quiet?: boolean; toStderr?: boolean; auth?: string },
): Promise<void> {
  const print = (s: string) => (opts.toStderr ? err(ctx, s) : out(ctx, s));
  const { fromImage, tag } = splitRef(ref);
  const headers: Record<string, string> = opts.auth ? { 'X-Registry-Auth': opts.auth } : {};
  for await (const msg of ctx.client.jsonStream('POST', '/images/create', { query: { fromImage, tag }, headers })) {
    if (opts.quiet) continue;
    const status = typeof msg.status === 'string' ? msg.status : undefined;
    if (!status) continue;
    // Per-byte progress lines would flood a non-terminal; docker prints them only on a TTY.
    if (msg.progressDetail && typeof msg.progress === 'string') continue;
    print(msg.id ? `${String(msg.id)}: ${status}` : status);
  }
  if (opts.quiet) print(withDefaultTag(ref));
}
