// Names on images: tag adds one, rmi removes names and then the images no name holds.
import { UsageError, bool, parseArgs } from '../args';
import { forEachArg } from '../each';
import type { Ctx } from '../io';
import { withDefaultTag } from '../pull';

export async function rmi(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'force', short: 'f', type: 'bool' },
    { name: 'no-prune', type: 'bool' },
  ]);
  return forEachArg(
    ctx,
    p.positionals,
    async (ref) => {
      const res = await ctx.client.json<{ Untagged?: string; Deleted?: string }[]>('DELETE', `/images/${ref}`, {
        query: { force: bool(p, 'force'), noprune: bool(p, 'no-prune') },
      });
      return (res ?? []).flatMap((r) => [
        ...(r.Untagged ? [`Untagged: ${r.Untagged}`] : []),
        ...(r.Deleted ? [`Deleted: ${r.Deleted}`] : []),
      ]);
    },
    '"rmi" requires at least 1 argument.',
  );
}

export async function tag(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  if (p.positionals.length !== 2) throw new UsageError('"tag" requires exactly 2 arguments.');
  const [src, target] = p.positionals as [string, string];
  const full = withDefaultTag(target);
  const colon = full.lastIndexOf(':');
  await ctx.client.call('POST', `/images/${src}/tag`, {
    query: { repo: full.slice(0, colon), tag: full.slice(colon + 1) },
  });
  return 0;
}
