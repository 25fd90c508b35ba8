// exec: a command in a running container, detached, streamed, or attached with our stdin.
import { UsageError, bool, list, parseArgs, str } from '../args';
import { DaemonError } from '../client';
import { type Ctx, ExitError } from '../io';
import { demux } from '../stdcopy';

export async function exec(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(
    argv,
    [
      { name: 'interactive', short: 'i', type: 'bool' },
      { name: 'tty', short: 't', type: 'bool' },
      { name: 'detach', short: 'd', type: 'bool' },
      { name: 'env', short: 'e', type: 'list' },
      { name: 'user', short: 'u', type: 'string' },
      { name: 'workdir', short: 'w', type: 'string' },
      { name: 'privileged', type: 'bool' },
    ],
    { interspersed: false },
  );
  const [id, ...cmd] = p.positionals;
  if (!id || cmd.length === 0) throw new UsageError('"exec" requires at least 2 arguments.');
  const interactive = bool(p, 'interactive');
  const tty = bool(p, 'tty');
  let execId: string;
  try {
    ({ Id: execId } = await ctx.client.json<{ Id: string }>('POST', `/containers/${id}/exec`, {
      body: {
        Cmd: cmd,
        Env: list(p, 'env'),
        User: str(p, 'user'),
        WorkingDir: str(p, 'workdir'),
        Tty: tty,
        AttachStdin: interactive,
        AttachStdout: true,
        AttachStderr: true,
        Privileged: bool(p, 'privileged'),
      },
    }));
  } catch (e) {
    if (e instanceof DaemonError) throw new ExitError(`Error response from daemon: ${e.message}`, 1);
    throw e;
  }
  if (bool(p, 'detach')) {
    await ctx.client.call('POST', `/exec/${execId}/start`, { body: { Detach: true, Tty: tty } });
    return 0;
  }
  if (interactive) {
    const { socket, head } = await ctx.client.hijack(`/exec/${execId}/start`, { body: { Detach: false, Tty: tty } });
    const stdin = ctx.io.stdin;
    stdin.on('data', (d: Buffer) => socket.write(d));
    stdin.on('end', () => socket.end());
    await demux(socket, ctx.io.stdout, ctx.io.stderr, tty, head);
    stdin.pause();
  } else {
    const res = await ctx.client.raw('POST', `/exec/${execId}/start`, { body: { Detach: false, Tty: tty } });
    await demux(res, ctx.io.stdout, ctx.io.stderr, tty);
  }
  const info = await ctx.client.json<{ ExitCode: number | null }>('GET', `/exec/${execId}/json`);
  return info.ExitCode ?? 0;
}
