// The container's output to our streams: followed logs (run, start -a), or an attach with our stdin (run -i).
import type { Ctx } from '../io';
import { demux } from '../stdcopy';

/** Copy the container's output to our stdout/stderr until it ends. */
export async function streamOutput(ctx: Ctx, id: string, tty: boolean): Promise<void> {
  const res = await ctx.client.raw('GET', `/containers/${id}/logs`, {
    query: { follow: true, stdout: true, stderr: true },
  });
  await demux(res, ctx.io.stdout, ctx.io.stderr, tty);
}

export async function attachInteractive(ctx: Ctx, id: string, tty: boolean): Promise<{ done: Promise<void> }> {
  const { socket, head } = await ctx.client.hijack(`/containers/${id}/attach`, {
    query: { stream: true, stdin: true, stdout: true, stderr: true },
  });
  const stdin = ctx.io.stdin;
  stdin.on('data', (d: Buffer) => socket.write(d));
  stdin.on('end', () => socket.end());
  return {
    done: demux(socket, ctx.io.stdout, ctx.io.stderr, tty, head).finally(() => {
      stdin.pause();
    }),
  };
}
