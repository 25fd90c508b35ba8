// container/image/volume/system prune, with docker's confirmation prompt and output.
import { bool, parseArgs } from '../args';
import { type Ctx, out } from '../io';
import { humanSize } from '../units';

/** docker's [y/N] prompt: one line from stdin; anything but y/yes declines. */
async function confirm(ctx: Ctx, warning: string): Promise<boolean> {
  ctx.io.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let buf = '';
    const stdin = ctx.io.stdin;
    const finish = () => {
      stdin.off('data', onData);
      stdin.off('end', finish);
      stdin.pause();
      resolve(buf);
    };
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) finish();
    };
    stdin.on('data', onData);
    stdin.on('end', finish);
    stdin.resume();
  });
  ctx.io.stdout.write('\n');
  return /^\s*y(es)?\s*$/i.test(answer.split('\n')[0] ?? '');
}

async function pruneContainers(ctx: Ctx): Promise<number> {
  const r = await ctx.client.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>(
    'POST',
    '/containers/prune',
  );
  if (r.ContainersDeleted?.length) out(ctx, `Deleted Containers:\n${r.ContainersDeleted.join('\n')}\n`);
  return r.SpaceReclaimed ?? 0;
}

async function pruneImages(ctx: Ctx, all: boolean): Promise<number> {
  const r = await ctx.client.json<{
    ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null;
    SpaceReclaimed: number;
  }>('POST', '/images/prune', {
    query: { filters: JSON.stringify({ dangling: [all ? 'false' : 'true'] }) },
  });
  if (r.ImagesDeleted?.length) {
    out(
      ctx,
      `Deleted Images:\n${r.ImagesDeleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted ?? ''}`)).join('\n')}\n`,
    );
  }
  return r.SpaceReclaimed ?? 0;
}

async function pruneVolumes(ctx: Ctx, all: boolean): Promise<number> {
  const r = await ctx.client.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>(
    'POST',
    '/volumes/prune',
    {
      query: { filters: all ? JSON.stringify({ all: ['true'] }) : undefined },
    },
  );
  if (r.VolumesDeleted?.length) out(ctx, `Deleted Volumes:\n${r.VolumesDeleted.join('\n')}\n`);
  return r.SpaceReclaimed ?? 0;
}

export async function prune(
  ctx: Ctx,
  kind: 'container' | 'image' | 'volume' | 'system',
  argv: string[],
): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'force', short: 'f', type: 'bool' },
    { name: 'all', short: 'a', type: 'bool' },
    { name: 'volumes', type: 'bool' },
    { name: 'filter', type: 'list' },
  ]);
  const all = bool(p, 'all');
  const warnings: Record<typeof kind, string> = {
    container: 'WARNING! This will remove all stopped containers.',
    image: all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.',
    volume: all
      ? 'WARNING! This will remove all local volumes not used by at least one container.'
      : 'WARNING! This will remove anonymous local volumes not used by at least one container.',
    system: `WARNING! This will remove:\n  - all stopped containers\n${bool(p, 'volumes') ? '  - all anonymous volumes not used by at least one container\n' : ''}  - ${all ? 'all images without at least one container associated to them' : 'all dangling images'}`,
  };
  if (!bool(p, 'force') && !(await confirm(ctx, warnings[kind]))) return 0;
  let space = 0;
  if (kind === 'container' || kind === 'system') space += await pruneContainers(ctx);
  if (kind === 'volume' || (kind === 'system' && bool(p, 'volumes')))
    space += await pruneVolumes(ctx, kind === 'volume' && all);
  if (kind === 'image' || kind === 'system') space += await pruneImages(ctx, all);
  out(ctx, `Total reclaimed space: ${humanSize(space)}`);
  return 0;
}
