// Container lifecycle: start, stop, restart, kill, rm, pause, unpause, rename, attach, wait.
import { UsageError, bool, onePositional, parseArgs, str } from '../args';
import { forEachArg } from '../each';
import type { Ctx } from '../io';
import { demux } from '../stdcopy';
import { streamOutput } from './container-stream';

type Json = Record<string, unknown>;

export async function start(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'attach', short: 'a', type: 'bool' },
    { name: 'interactive', short: 'i', type: 'bool' },
  ]);
  const [id, ...more] = p.positionals;
  if (bool(p, 'attach') && id !== undefined && more.length === 0) {
    const info = await ctx.client.json<Json>('GET', `/containers/${id}/json`);
    const tty = Boolean((info.Config as Json | undefined)?.Tty);
    await ctx.client.call('POST', `/containers/${id}/start`);
    await streamOutput(ctx, id, tty);
    const s = await ctx.client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
    return s.StatusCode;
  }
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/start`),
    '"start" requires at least 1 argument.',
  );
}

export async function stop(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'time', short: 't', type: 'string' },
    { name: 'signal', short: 's', type: 'string' },
  ]);
  const t = str(p, 'time');
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/stop`, { query: { t, signal: str(p, 'signal') } }),
    '"stop" requires at least 1 argument.',
  );
}

export async function restart(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'time', short: 't', type: 'string' }]);
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/restart`, { query: { t: str(p, 'time') } }),
    '"restart" requires at least 1 argument.',
  );
}

export async function kill(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'signal', short: 's', type: 'string' }]);
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/kill`, { query: { signal: str(p, 'signal') } }),
    '"kill" requires at least 1 argument.',
  );
}

export async function rm(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'force', short: 'f', type: 'bool' },
    { name: 'volumes', short: 'v', type: 'bool' },
    { name: 'link', short: 'l', type: 'bool' },
  ]);
  return forEachArg(
    ctx,
    p.positionals,
    (id) =>
      ctx.client.call('DELETE', `/containers/${id}`, { query: { force: bool(p, 'force'), v: bool(p, 'volumes') } }),
    '"rm" requires at least 1 argument.',
  );
}

export async function pause(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/pause`),
    '"pause" requires at least 1 argument.',
  );
}

export async function unpause(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  return forEachArg(
    ctx,
    p.positionals,
    (id) => ctx.client.call('POST', `/containers/${id}/unpause`),
    '"unpause" requires at least 1 argument.',
  );
}

export async function rename(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  const [id, name, ...more] = p.positionals;
  if (id === undefined || name === undefined || more.length)
    throw new UsageError('"rename" requires exactly 2 arguments.');
  await ctx.client.call('POST', `/containers/${id}/rename`, { query: { name } });
  return 0;
}

/** `attach`: the container's output (and our stdin, if it was created with -i) until it exits. */
export async function attach(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'no-stdin', type: 'bool' },
    { name: 'sig-proxy', type: 'bool' },
    { name: 'detach-keys', type: 'string' },
  ]);
  const id = onePositional(p, '"attach" requires exactly 1 argument.');
  const info = await ctx.client.json<Json>('GET', `/containers/${id}/json`);
  const config = (info.Config ?? {}) as Json;
  const tty = Boolean(config.Tty);
  const withStdin = Boolean(config.OpenStdin) && !bool(p, 'no-stdin');
  const { socket, head } = await ctx.client.hijack(`/containers/${id}/attach`, {
    query: { stream: true, stdin: withStdin, stdout: true, stderr: true },
  });
  if (withStdin) {
    ctx.io.stdin.on('data', (d: Buffer) => socket.write(d));
    ctx.io.stdin.on('end', () => socket.end());
  }
  const unsubscribe = ctx.io.onSignal?.((signal) => {
    void ctx.client.call('POST', `/containers/${id}/kill`, { query: { signal } }).catch(() => undefined);
  });
  try {
    await demux(socket, ctx.io.stdout, ctx.io.stderr, tty, head);
  } finally {
    unsubscribe?.();
    if (withStdin) ctx.io.stdin.pause();
  }
  const s = await ctx.client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
  return s.StatusCode;
}

export async function wait(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  return forEachArg(
    ctx,
    p.positionals,
    async (id) => [
      String((await ctx.client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`)).StatusCode),
    ],
    '"wait" requires at least 1 argument.',
  );
}
