// inspect (any object by ID or name), container inspect and image inspect.
import { UsageError, parseArgs, str } from '../args';
import { DaemonError } from '../client';
import { type Ctx, err, out } from '../io';
import { renderTemplate } from '../template';

function printInspect(ctx: Ctx, objs: unknown[], format: string | undefined): void {
  if (format) for (const o of objs) out(ctx, renderTemplate(format, o));
  else out(ctx, JSON.stringify(objs, null, 4));
}

/** Inspects each ID; an unknown one is reported (`Error: No such <kind>`) and makes the exit code 1. */
export async function inspectEach(
  ctx: Ctx,
  ids: string[],
  fetch: (id: string) => Promise<unknown>,
  format: string | undefined,
  kind: string,
): Promise<number> {
  const found: unknown[] = [];
  let code = 0;
  for (const id of ids) {
    try {
      found.push(await fetch(id));
    } catch (e) {
      if (!(e instanceof DaemonError) || e.status !== 404) throw e;
      code = 1;
      err(ctx, `Error: No such ${kind}: ${id}`);
    }
  }
  if (found.length || !format) printInspect(ctx, found, format);
  return code;
}

export async function inspect(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'format', short: 'f', type: 'string' },
    { name: 'type', type: 'string' },
    { name: 'size', short: 's', type: 'bool' },
  ]);
  if (!p.positionals.length) throw new UsageError('"inspect" requires at least 1 argument.');
  const type = str(p, 'type');
  const tries: [string, (id: string) => Promise<unknown>][] = [
    ['container', (id) => ctx.client.json('GET', `/containers/${id}/json`)],
    ['image', (id) => ctx.client.json('GET', `/images/${id}/json`)],
    ['network', (id) => ctx.client.json('GET', `/networks/${id}`)],
    ['volume', (id) => ctx.client.json('GET', `/volumes/${id}`)],
  ];
  const found: unknown[] = [];
  let code = 0;
  for (const id of p.positionals) {
    let hit: unknown;
    for (const [kind, fetch] of tries) {
      if (type && type !== kind) continue;
      try {
        hit = await fetch(id);
        break;
      } catch (e) {
        if (!(e instanceof DaemonError) || (e.status !== 404 && e.status !== 400)) throw e;
      }
    }
    if (hit === undefined) {
      err(ctx, `Error: No such object: ${id}`);
      code = 1;
    } else found.push(hit);
  }
  if (found.length || !str(p, 'format')) printInspect(ctx, found, str(p, 'format'));
  return code;
}

export function containerInspect(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'format', short: 'f', type: 'string' },
    { name: 'size', short: 's', type: 'bool' },
  ]);
  return inspectEach(
    ctx,
    p.positionals,
    (id) => ctx.client.json('GET', `/containers/${id}/json`),
    str(p, 'format'),
    'container',
  );
}

export function imageInspect(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'format', short: 'f', type: 'string' }]);
  return inspectEach(
    ctx,
    p.positionals,
    (id) => ctx.client.json('GET', `/images/${id}/json`),
    str(p, 'format'),
    'image',
  );
}
